#!/usr/bin/env bash
# The real-data CPU recipe, end to end, in under an hour on 2 idle CPU cores
# with bfloat16 (docs/real_data_cpu.md: its figures, and slower CPUs):
#   1. convert the three parts of the committed calib15 split of the ISIC
#      2017 training images (configs/isic/splits/) with the ISIC converter,
#   2. train CONFIG on the training part,
#   3. test it on the calibration part, with test-time flips,
#   4. fit the operating point (sensitivity >= 0.90) and the Platt
#      calibration of p_malignant on the calibration part,
#   5. test on the validation part, with test-time flips, reporting AC / SE /
#      SP at 0.5 and at the operating point (per-image files and the HTML
#      report in WORK_DIR/isic_out),
#   6. score the lesion-area baseline on the validation part,
#   7. print the metric tables, the operating point, the baseline and the
#      wall time.
# Environment: ISIC_DIR (images/, masks/, labels.csv; default
# ../shared/isic2017_train), WORK_DIR (default work_dirs/isic2017_cpu_r18_gn),
# VENV (default .venv), CONFIG (default configs/isic/isic2017_cpu_r18_gn.py),
# SPLIT (the split's file prefix, default
# configs/isic/splits/isic2017_train_calib15), SEED (training seed, default
# 0), RULE (tools/analysis/operating_point.py --rule, default sens90),
# CFG_OPTIONS (key=value settings, separated by spaces, over CONFIG in
# training and in both tests, as tools/train.py --cfg-options reads them:
# an ablation without a config file).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash tools/setup_env.sh
py=${VENV:-$repo/.venv}/bin/python
# Two compute threads: they need the machine to themselves. With another
# job running, two threads slowed down about sixfold, one did not; set
# OMP_NUM_THREADS=1 there.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
ISIC_DIR=${ISIC_DIR:-../shared/isic2017_train}
WORK_DIR=${WORK_DIR:-work_dirs/isic2017_cpu_r18_gn}
config=${CONFIG:-configs/isic/isic2017_cpu_r18_gn.py}
splits=${SPLIT:-configs/isic/splits/isic2017_train_calib15}
seed=${SEED:-0}
rule=${RULE:-sens90}
read -ra options <<< "${CFG_OPTIONS:-}"
ann_dir=$WORK_DIR/annotations
start=$(date +%s)

# what the run needs, checked before it trains for an hour
[[ $seed =~ ^[0-9]+$ ]] || { echo "error: SEED=$seed: not a non-negative integer" >&2; exit 2; }
"$py" -c 'import sys
from mmskin.analysis.operating_point import check_rule
try:
    check_rule(sys.argv[1])
except ValueError as error:
    sys.exit(f"error: RULE={sys.argv[1]}: {error}")' "$rule" || exit 2
# the settings the script makes itself (ISIC_DIR, SPLIT, WORK_DIR, SEED):
# the data below, each test's ann_file and the seed
img_prefix="$ISIC_DIR/"
data=(train_dataloader.dataset.ann_file="$ann_dir/train.json"
      train_dataloader.dataset.data_prefix.img="$img_prefix"
      test_dataloader.dataset.data_prefix.img="$img_prefix")
own=("${data[@]%%=*}" test_dataloader.dataset.ann_file randomness.seed)
for option in ${options[@]+"${options[@]}"}; do
  [[ $option =~ ^[A-Za-z_][A-Za-z0-9_.]*=.+$ ]] || {
    echo "error: CFG_OPTIONS: '$option' is not key=value" >&2; exit 2; }
  key=${option%%=*}
  for set_here in "${own[@]}"; do
    if [[ $key == "$set_here" || $key == "$set_here".* || $set_here == "$key".* ]]; then
      echo "error: CFG_OPTIONS: '$key' is set by the script (ISIC_DIR, SPLIT, WORK_DIR," \
        "SEED choose it)" >&2
      exit 2
    fi
  done
done
data+=(${options[@]+"${options[@]}"})
for part in train calib val; do
  if [ ! -f "${splits}_$part.txt" ]; then
    echo "error: ${splits}_$part.txt: no such file (SPLIT=$splits needs _train, _calib" \
      "and _val files of image ids)" >&2
    exit 2
  fi
done

echo "== 1/6 converting the split $splits of $ISIC_DIR"
for part in train calib val; do
  # file names relative to ISIC_DIR (--root), the data prefix above
  "$py" tools/dataset_converters/isic_to_coco.py folder --images "$ISIC_DIR/images" \
    --masks "$ISIC_DIR/masks" --labels "$ISIC_DIR/labels.csv" --root "$ISIC_DIR" \
    --ids "${splits}_$part.txt" --out "$ann_dir/$part.json"
done
threads=$OMP_NUM_THREADS

echo "== 2/6 training $config (seed $seed)"
"$py" tools/train.py "$config" --work-dir "$WORK_DIR" \
  --cfg-options "${data[@]}" randomness.seed="$seed"
ckpt=$(cat "$WORK_DIR/last_checkpoint")

echo "== 3/6 testing on the calibration part"
"$py" tools/test.py "$config" "$ckpt" --work-dir "$WORK_DIR/calib" --tta --ci none \
  --cpu-threads "$threads" --isic-out "$WORK_DIR/calib/isic_out" \
  --cfg-options "${data[@]}" test_dataloader.dataset.ann_file="$ann_dir/calib.json" \
  2>&1 | tee "$WORK_DIR/calib_test.log"

echo "== 4/6 operating point ($rule) and calibration on the calibration part"
"$py" tools/analysis/operating_point.py "$WORK_DIR/calib/isic_out" --rule "$rule" \
  --out "$WORK_DIR/operating_point.json" | tee "$WORK_DIR/operating_point.log"

echo "== 5/6 testing on the validation part with the ISIC metrics"
"$py" tools/test.py "$config" "$ckpt" --work-dir "$WORK_DIR" --tta --report \
  --cpu-threads "$threads" --isic-out "$WORK_DIR/isic_out" \
  --operating-point "$WORK_DIR/operating_point.json" \
  --cfg-options "${data[@]}" test_dataloader.dataset.ann_file="$ann_dir/val.json" \
  2>&1 | tee "$WORK_DIR/test.log"

echo "== 6/6 lesion-area baseline on the validation part"
"$py" tools/analysis/area_baseline.py "$ann_dir/val.json" \
  --run "$WORK_DIR/isic_out/per_image.csv" | tee "$WORK_DIR/area_baseline.log"

echo "== summary"
echo "split: $(wc -l < "${splits}_train.txt") training, $(wc -l < "${splits}_calib.txt")" \
  "calibration, $(wc -l < "${splits}_val.txt") validation images"
grep -A14 -E "^ISIC (segmentation|classification)" "$WORK_DIR/test.log"
grep -A1 "^Lesion-area baseline" "$WORK_DIR/area_baseline.log"
grep "^Run against the lesion-area baseline" "$WORK_DIR/area_baseline.log"
echo "checkpoint: $ckpt"
echo "per-image results and report: $WORK_DIR/isic_out"
echo "wall time: $(( $(date +%s) - start )) s"
