#!/usr/bin/env bash
# Training and inference throughput on one GPU (at most about 8 minutes):
# iterations/s of the paper's model vs mmdet's stock Mask R-CNN R50-FPN at
# 1024 x 1024 in fp32 and with mixed precision, the projected time of the
# 160k-iteration schedule, inference images/s at original ISIC sizes and the
# peak GPU memory. Arguments go to benchmarks/gpu_throughput.py, e.g.
#   bash benchmarks/gpu.sh                       # on cuda:0
#   bash benchmarks/gpu.sh --device cpu --iters 2 --size 512 --infer-sizes 1024x768   # CPU smoke run
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
py=${PYTHON:-python}
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
timeout "${GPU_BENCH_TIMEOUT:-480}" "$py" benchmarks/gpu_throughput.py "$@"
