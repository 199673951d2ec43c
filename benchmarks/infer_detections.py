"""Inference cost against the number of detections kept (docs/performance.md).

    python benchmarks/infer_detections.py CONFIG CHECKPOINT [--photos DIR]
        [--count 6] [--size 6000x4500] [--rounds 2]

Runs ``tools/infer.py`` on ``count`` photos of ``size`` (real ISIC images
upscaled into DIR, default a temporary folder) with the detection score
threshold at 0, keeping at most 1 or 100 detections
(``test_cfg.rcnn.max_per_img``), once with the lesion-only masks
(``model.instance_masks=False``, ours) and once with mmdet's masks for every
detection (``True``, the reference), alternating over ``rounds``. Prints
each run's median wall and CPU time and peak memory, the 100 / 1 ratios, and
counts how far the two ways' lesions are apart (p_malignant, mask pixels).
"""
import argparse
import csv
import sys
import tempfile
from pathlib import Path

import cv2

from common import (fmt, machine, make_photos, median, print_table, python_env, run_child)
from mmskin.utils import mask_file_name

KEEPS = (1, 100)
WAYS = (('lesion masks only (ours)', False), ('every instance mask (mmdet)', True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--photos', type=Path, help='folder for the generated photos')
    parser.add_argument('--count', type=int, default=6)
    parser.add_argument('--size', default='6000x4500', help='WIDTHxHEIGHT')
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split('x'))
    work = Path(tempfile.mkdtemp(prefix='mmskin_bench_infer_'))
    photo_dir = args.photos or work / 'photos'
    make_photos(photo_dir, args.count, width, height)
    print(f'machine: {machine()}')
    print(f'input: {args.count} photos of {width}x{height}, detection score threshold 0')

    walls, peaks, cpus = {}, {}, {}
    for round_ in range(args.rounds):
        for keep in KEEPS:
            for name, instance_masks in WAYS:
                out = work / f'out_{instance_masks}_{keep}'
                cmd = [sys.executable, 'tools/infer.py', args.config, args.checkpoint,
                       str(photo_dir), '--out-dir', str(out), '--device', 'cpu',
                       '--cfg-options', 'model.test_cfg.rcnn.score_thr=0.0',
                       f'model.test_cfg.rcnn.max_per_img={keep}',
                       f'model.instance_masks={instance_masks}']
                wall, peak, cpu = run_child(cmd, python_env())
                walls.setdefault((name, keep), []).append(wall)
                peaks.setdefault((name, keep), []).append(peak)
                cpus.setdefault((name, keep), []).append(cpu)
                print(f'  round {round_ + 1}: {name}, keep {keep}: {wall:.1f} s wall, '
                      f'{cpu:.1f} s CPU, {peak:.2f} GB', flush=True)

    rows = []
    for name, _ in WAYS:
        one, many = (name, 1), (name, 100)
        rows.append([name,
                     fmt(median(walls[one]), 1), fmt(median(walls[many]), 1),
                     fmt(median(walls[many]) / median(walls[one])),
                     fmt(median(cpus[many]) / median(cpus[one])),
                     fmt(max(peaks[one])), fmt(max(peaks[many])),
                     fmt(max(peaks[many]) / max(peaks[one]))])
    print_table(['masks', 'wall keep 1 (s)', 'wall keep 100 (s)', 'wall time 100/1',
                 'CPU time 100/1', 'peak keep 1 (GB)', 'peak keep 100 (GB)', 'memory 100/1'],
                rows)
    for keep in KEEPS:
        ours, ref = work / f'out_False_{keep}', work / f'out_True_{keep}'
        ours_rows, ref_rows = _rows(ours), _rows(ref)
        same_p = all(a['p_malignant'] == b['p_malignant'] for a, b in zip(ours_rows, ref_rows))
        differing, total = 0, 0
        for row in ref_rows:
            name = mask_file_name(row['image_id'])
            ref_mask = cv2.imread(str(ref / 'masks' / name), cv2.IMREAD_UNCHANGED)
            ours_mask = cv2.imread(str(ours / 'masks' / name), cv2.IMREAD_UNCHANGED)
            differing += int((ref_mask != ours_mask).sum())
            total += int((ref_mask > 0).sum())
        print(f'keep {keep}: identical p_malignant on {len(ref_rows)} images: {same_p}; '
              f'mask pixels that differ: {differing} of {total} lesion pixels')


def _rows(out_dir: Path) -> list:
    with open(out_dir / 'predictions.csv', newline='') as f:
        return list(csv.DictReader(f))


if __name__ == '__main__':
    main()
