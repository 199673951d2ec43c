#!/usr/bin/env bash
# The main job on built-in data, from a fresh clone:
#   1. install the environment (tools/setup_env.sh; a second run reuses it),
#   2. generate a synthetic dermoscopy set in the official ISIC 2017 layout,
#   3. convert it to COCO files with the ISIC converter and write the
#      long-side-256 copy of the training split (resize_isic_split.py),
#   4. train the paper's model with the CPU-sized overrides of
#      configs/isic/demo_cpu_r18.py,
#   5. test it with the ISIC metrics (per-image files and the HTML report in
#      work_dirs/demo/isic_out),
#   6. draw Fig. 4 style overlays of the test images.
# Environment: DEMO_DIR (default work_dirs/demo), DATA_DIR (default data/demo),
# DEMO_ITERS (training iterations; default: the config's).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash tools/setup_env.sh
py=${VENV:-$repo/.venv}/bin/python
DEMO_DIR=${DEMO_DIR:-work_dirs/demo}
DATA_DIR=${DATA_DIR:-data/demo}
config=configs/isic/demo_cpu_r18.py
start=$(date +%s)

echo "== 1/5 synthetic ISIC 2017 data in $DATA_DIR"
if [ ! -f "$DATA_DIR/annotations/isic2017_test.json" ]; then
  "$py" tools/misc/generate_synthetic_isic.py "$DATA_DIR" --layout isic2017 \
    --num-train 160 --num-val 20 --num-test 40 --seed 0
  for split in Training:train Validation:val Test_v2:test; do
    "$py" tools/dataset_converters/isic_to_coco.py isic2017 "$DATA_DIR" \
      --split "${split%%:*}" --out "$DATA_DIR/annotations/isic2017_${split##*:}.json"
  done
fi
if [ ! -f "$DATA_DIR/annotations/isic2017_train_256.json" ]; then
  "$py" tools/dataset_converters/resize_isic_split.py "$DATA_DIR" annotations/isic2017_train.json \
    --out annotations/isic2017_train_256.json --img-dir resized_256 --long-side 256
fi

echo "== 2/5 training $config"
overrides=(train_dataloader.dataset.data_root="$DATA_DIR/" \
           test_dataloader.dataset.data_root="$DATA_DIR/" \
)
[ -n "${DEMO_ITERS:-}" ] && overrides+=(train_cfg.max_iters="$DEMO_ITERS")
"$py" tools/train.py "$config" --work-dir "$DEMO_DIR" --cfg-options "${overrides[@]}"

echo "== 3/5 testing with the ISIC metrics"
ckpt=$(cat "$DEMO_DIR/last_checkpoint")
"$py" tools/test.py "$config" "$ckpt" --work-dir "$DEMO_DIR" \
  --isic-out "$DEMO_DIR/isic_out" --report --cfg-options "${overrides[@]}" 2>&1 | tee "$DEMO_DIR/test.log"

echo "== 4/5 overlays of the test images"
"$py" tools/infer.py "$config" "$ckpt" "$DATA_DIR/ISIC-2017_Test_v2_Data" \
  --out-dir "$DEMO_DIR/infer" --gt-masks "$DATA_DIR/ISIC-2017_Test_v2_Part1_GroundTruth"

echo "== 5/5 summary"
"$py" tools/analysis/plot_isic_curves.py "$DEMO_DIR/isic_out/per_image.csv" --out "$DEMO_DIR/plots"
grep -A14 -E "^ISIC (segmentation|classification)" "$DEMO_DIR/test.log"
echo "overlays: $DEMO_DIR/infer/overlays"
echo "per-image results: $DEMO_DIR/isic_out"
echo "report: $DEMO_DIR/isic_out/report.html"
echo "wall time: $(( $(date +%s) - start )) s"
