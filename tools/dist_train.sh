#!/usr/bin/env bash
# Train on several GPUs (or CPU processes) of one or more machines with
# torchrun and DDP.
#
#   bash tools/dist_train.sh CONFIG GPUS [train.py arguments...]
#
# GPUS is the number of processes on this machine. For several machines, run
# the same command on each with the same NNODES, MASTER_ADDR and PORT, and
# NODE_RANK = 0 .. NNODES-1 (MASTER_ADDR: an address of the NODE_RANK 0
# machine that the others reach). PYTHON picks the interpreter.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash $0 CONFIG GPUS [train.py arguments...]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$GPUS" \
    "$TOOLS/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
