#!/usr/bin/env bash
# The real-data CPU recipe, end to end (51 minutes on 2 idle CPU cores that
# train at 0.65 s per iteration; slower CPUs: see docs/real_data_cpu.md):
#   1. convert the two parts of the committed split of the ISIC 2017
#      training images (configs/isic/splits/) with the ISIC converter,
#   2. train configs/isic/isic2017_cpu_r18.py on the training part,
#   3. test it on the validation part with the ISIC metrics (per-image
#      files in WORK_DIR/isic_out),
#   4. score the lesion-area baseline on the same validation part,
#   5. print both metric tables, the baseline and the wall time.
# Environment: ISIC_DIR (images/, masks/, labels.csv; default
# ../shared/isic2017_train), WORK_DIR (default work_dirs/isic2017_cpu_r18),
# VENV (default .venv), CONFIG (default configs/isic/isic2017_cpu_r18.py;
# configs/isic/isic2017_cpu_r18_fast.py computes faster on CPUs with
# bfloat16, docs/performance.md).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash tools/setup_env.sh
py=${VENV:-$repo/.venv}/bin/python
# Two compute threads: 0.65 s per iteration on two idle cores against 1.0 s
# with one. They need the machine to themselves: with another job running,
# two threads slowed down about sixfold (3.7 s per iteration), one did not;
# set OMP_NUM_THREADS=1 there (and expect about 70 minutes).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
ISIC_DIR=${ISIC_DIR:-../shared/isic2017_train}
WORK_DIR=${WORK_DIR:-work_dirs/isic2017_cpu_r18}
config=${CONFIG:-configs/isic/isic2017_cpu_r18.py}
splits=configs/isic/splits/isic2017_train
ann_dir=$WORK_DIR/annotations
start=$(date +%s)

echo "== 1/4 converting the split of $ISIC_DIR"
for part in train val; do
  # file names relative to ISIC_DIR (--root), the data prefix below
  "$py" tools/dataset_converters/isic_to_coco.py folder --images "$ISIC_DIR/images" \
    --masks "$ISIC_DIR/masks" --labels "$ISIC_DIR/labels.csv" --root "$ISIC_DIR" \
    --ids "${splits}_$part.txt" --out "$ann_dir/$part.json"
done
img_prefix="$ISIC_DIR/"
overrides=(train_dataloader.dataset.ann_file="$ann_dir/train.json" \
           train_dataloader.dataset.data_prefix.img="$img_prefix" \
           test_dataloader.dataset.ann_file="$ann_dir/val.json" \
           test_dataloader.dataset.data_prefix.img="$img_prefix" \
)

echo "== 2/4 training $config"
"$py" tools/train.py "$config" --work-dir "$WORK_DIR" --cfg-options "${overrides[@]}"

echo "== 3/4 testing on the validation part with the ISIC metrics"
ckpt=$(cat "$WORK_DIR/last_checkpoint")
"$py" tools/test.py "$config" "$ckpt" --work-dir "$WORK_DIR" \
  --isic-out "$WORK_DIR/isic_out" --cfg-options "${overrides[@]}" 2>&1 | tee "$WORK_DIR/test.log"

echo "== 4/4 lesion-area baseline on the validation part"
"$py" tools/analysis/area_baseline.py "$ann_dir/val.json" | tee "$WORK_DIR/area_baseline.log"

echo "== summary"
echo "split: $(wc -l < "${splits}_train.txt") training, $(wc -l < "${splits}_val.txt") validation images"
grep -A14 -E "^ISIC (segmentation|classification)" "$WORK_DIR/test.log"
grep -A1 "^Lesion-area baseline" "$WORK_DIR/area_baseline.log"
echo "checkpoint: $ckpt"
echo "per-image results: $WORK_DIR/isic_out"
echo "wall time: $(( $(date +%s) - start )) s"
