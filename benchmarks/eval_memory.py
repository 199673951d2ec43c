"""Peak memory of ``tools/test.py`` against the number of test images
(docs/performance.md).

    python benchmarks/eval_memory.py CONFIG CHECKPOINT [--data DIR] [--counts 50 500]

Builds COCO files of the first N images of DIR (the ISIC 2017 training set
at long side 256: ``images/``, ``masks/``, ``labels.csv``), runs
``tools/test.py CONFIG CHECKPOINT --isic-out ...`` on each, and prints the
peak resident memory of each run (the test process and its data-loading
workers, largest of them), its wall time and the ratio largest / smallest N.
"""
import argparse
import csv
import sys
import tempfile
from pathlib import Path

from common import REPO, fmt, machine, print_table, python_env, run_child
from mmskin.utils import mask_to_annotation
from mmskin.utils import dump_json_atomic, read_image_size, read_mask

DEFAULT_DATA = REPO.parent / 'shared' / 'isic2017_train'


def coco_file(data: Path, count: int, out: Path) -> Path:
    with open(data / 'labels.csv', newline='') as f:
        rows = list(csv.DictReader(f))[:count]
    if len(rows) < count:
        sys.exit(f'error: {data / "labels.csv"}: {len(rows)} images, {count} asked for')
    images, annotations = [], []
    for index, row in enumerate(rows, start=1):
        name = f'images/{row["image_id"]}.jpg'
        width, height = read_image_size(data / name)
        mask = read_mask(data / 'masks' / f'{row["image_id"]}_segmentation.png', (height, width))
        annotation = mask_to_annotation(mask)
        annotation.update(id=index, image_id=index, iscrowd=0,
                          category_id=2 if float(row['melanoma']) == 1 else 1)
        images.append(dict(id=index, file_name=name, width=width, height=height,
                           isic_id=row['image_id']))
        annotations.append(annotation)
    dump_json_atomic(dict(images=images, annotations=annotations,
                          categories=[dict(id=1, name='benign'), dict(id=2, name='malignant')]),
                     out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data', type=Path, default=DEFAULT_DATA)
    parser.add_argument('--counts', type=int, nargs='+', default=[50, 500])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='mmskin_bench_eval_'))
    print(f'machine: {machine()}')
    rows, peaks = [], {}
    for count in args.counts:
        ann = coco_file(args.data, count, work / f'test_{count}.json')
        cmd = [sys.executable, 'tools/test.py', args.config, args.checkpoint,
               '--work-dir', str(work / f'run_{count}'), '--isic-out', str(work / f'isic_{count}'),
               '--cfg-options', f'test_dataloader.dataset.data_root={args.data}/',
               f'test_dataloader.dataset.ann_file={ann}']
        wall, peak, _ = run_child(cmd, python_env())
        peaks[count] = peak
        rows.append([count, fmt(wall, 1), fmt(wall / count, 3), fmt(peak)])
        print(f'  {count} images: {wall:.1f} s, {peak:.2f} GB', flush=True)
    print_table(['images', 'wall (s)', 's / image', 'peak memory (GB)'], rows)
    low, high = min(args.counts), max(args.counts)
    print(f'peak memory {high} / {low} images: {fmt(peaks[high] / peaks[low])}')


if __name__ == '__main__':
    main()
