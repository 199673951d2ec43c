"""Inference cost against the number of detections kept (README, Performance).

    python benchmarks/infer_detections.py CONFIG CHECKPOINT [--photos DIR]
        [--count 6] [--size 6000x4500] [--rounds 2]

Runs ``tools/infer.py`` on ``count`` photos of ``size`` (real ISIC images
upscaled into DIR, default a temporary folder) with the detection score
threshold at 0, keeping at most 1 or 100 detections
(``test_cfg.rcnn.max_per_img``), once with the lesion-only masks
(``model.instance_masks=False``, ours) and once with mmdet's masks for every
detection (``True``, the reference), alternating over ``rounds``. Prints
each run's median wall and CPU time and peak memory, the 100 / 1 ratios, and
checks that both ways write the same lesion (CSV row and mask PNG).
"""
import argparse
import csv
import filecmp
import sys
import tempfile
from pathlib import Path

from common import (fmt, machine, make_photos, median, print_table, python_env, run_child)

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
        same_csv = _rows(ours) == _rows(ref)
        masks = sorted(p.name for p in (ref / 'masks').iterdir())
        same_masks = all(filecmp.cmp(ours / 'masks' / m, ref / 'masks' / m, shallow=False)
                         for m in masks)
        print(f'keep {keep}: identical lesion rows {same_csv}, identical mask PNGs '
              f'{same_masks} ({len(masks)} images)')


def _rows(out_dir: Path) -> list:
    with open(out_dir / 'predictions.csv', newline='') as f:
        return list(csv.reader(f))


if __name__ == '__main__':
    main()
