"""Training-time loading of ISIC-size JPEGs: at load time vs the resized copy
(docs/performance.md).

    python benchmarks/resized_copy_loading.py [--count 12] [--min-side 1500] [--max-side 4500]
        [--rounds 3] [--work DIR]

Makes ``count`` JPEGs with long sides spread from ``min-side`` to
``max-side`` (real ISIC images and masks, upscaled), converts them to a COCO
file, writes the long-side-1024 copy (``resize_split``, each image format), and
times the training pipeline's loading steps (``LoadImageFromFile``,
``LoadAnnotations``, ``Resize`` to 1024) on the originals and on each copy,
alternating image by image. Prints images/s, the ratios, and whether masks
(and PNG pixels) equal those of resizing at load time.
"""
import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope

import mmskin  # noqa: F401  registers the transforms
from common import SAMPLES, fmt, machine, print_table
from mmskin.datasets.conversion import IMAGE_FORMATS, resize_split
from mmskin.utils import mask_to_annotation
from mmskin.utils import dump_json_atomic, read_mask

LONG_SIDE = 1024


def make_split(root: Path, count: int, min_side: int, max_side: int) -> str:
    """ISIC-size JPEGs and masks and their COCO file; returns the file's path
    relative to ``root``."""
    sources = sorted(SAMPLES.glob('*.jpg'))
    gt_dir = SAMPLES.parent / 'ISBI2016_ISIC_Part1_Training_GroundTruth'
    (root / 'images').mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(count):
        long_side = int(round(min_side + (max_side - min_side) * i / max(count - 1, 1)))
        source = sources[i % len(sources)]
        image = cv2.imread(str(source), cv2.IMREAD_COLOR)
        mask = read_mask(gt_dir / f'{source.stem}_Segmentation.png', image.shape[:2])
        h, w = image.shape[:2]
        if w >= h:
            size = (long_side, round(h * long_side / w))
        else:
            size = (round(w * long_side / h), long_side)
        name = f'images/ISIC_{i:07d}.jpg'
        if not (root / name).is_file():
            cv2.imwrite(str(root / name), cv2.resize(image, size, interpolation=cv2.INTER_CUBIC),
                        (cv2.IMWRITE_JPEG_QUALITY, 90))
        mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        annotation = mask_to_annotation(mask.astype(bool))
        annotation.update(id=i + 1, image_id=i + 1, category_id=1, iscrowd=0)
        images.append(dict(id=i + 1, file_name=name, width=size[0], height=size[1]))
        annotations.append(annotation)
    dump_json_atomic(dict(images=images, annotations=annotations,
                          categories=[dict(id=1, name='benign'), dict(id=2, name='malignant')]),
                     root / 'annotations/train.json')
    return 'annotations/train.json'


def samples(root: Path, ann_file: str) -> list:
    coco = json.loads((root / ann_file).read_text())
    out = []
    for info, ann in zip(coco['images'], coco['annotations']):
        x, y, w, h = ann['bbox']
        out.append(dict(img_path=str(root / info['file_name']), img_id=info['id'],
                        height=info['height'], width=info['width'],
                        instances=[dict(bbox=[x, y, x + w, y + h], bbox_label=0,
                                        mask=ann['segmentation'], ignore_flag=0)]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=12)
    parser.add_argument('--min-side', type=int, default=1500)
    parser.add_argument('--max-side', type=int, default=4500)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--work', type=Path, help='folder for the generated data')
    args = parser.parse_args()
    root = args.work or Path(tempfile.mkdtemp(prefix='mmskin_bench_data_'))
    ann = make_split(root, args.count, args.min_side, args.max_side)
    ways = {'at load time (stock)': ann}
    for image_format in IMAGE_FORMATS:
        out = f'annotations/train_{LONG_SIDE}_{image_format}.json'
        resize_split(root, ann, root / out, f'resized_{image_format}', long_side=LONG_SIDE,
                     image_format=image_format, progress=False)
        ways[f'resized copy, {image_format.upper()}'] = out
    init_default_scope('mmdet')
    pipeline = Compose([
        dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='Resize', scale=(LONG_SIDE, LONG_SIDE), keep_ratio=True),
    ])
    data = {name: samples(root, file) for name, file in ways.items()}
    seconds = defaultdict(float)
    same_masks = defaultdict(lambda: True)
    same_pixels = defaultdict(lambda: True)
    pixel_error = defaultdict(float)
    for _ in range(args.rounds):
        for i in range(args.count):
            results = {}
            for name, items in data.items():
                start = time.perf_counter()
                results[name] = pipeline(dict(items[i]))
                seconds[name] += time.perf_counter() - start
            reference = results['at load time (stock)']
            for name, result in results.items():
                same_masks[name] &= np.array_equal(result['gt_masks'].masks,
                                                   reference['gt_masks'].masks)
                same_pixels[name] &= np.array_equal(result['img'], reference['img'])
                pixel_error[name] = max(pixel_error[name], float(np.abs(
                    result['img'].astype(np.int16) - reference['img']).mean()))
    print(f'machine: {machine()}')
    print(f'input: {args.count} JPEGs, long side {args.min_side}-{args.max_side} px, '
          f'{args.rounds} rounds; Load + LoadAnnotations + Resize to {LONG_SIDE}')
    total = args.count * args.rounds
    stock = seconds['at load time (stock)']
    rows = [[name, fmt(total / seconds[name], 1), fmt(stock / seconds[name]),
             same_masks[name], same_pixels[name], fmt(pixel_error[name])] for name in ways]
    print_table(['images', 'images/s', 'ratio', 'masks identical', 'pixels identical',
                 'mean abs pixel difference (worst image)'], rows)


if __name__ == '__main__':
    main()
