"""Write a long-side-1024 copy of a converted split for training.

Example::

    python tools/dataset_converters/resize_isic_split.py data/isic \\
        annotations/archive_train.json --out annotations/archive_train_1024.json \\
        --img-dir resized_1024 --nproc 8

Images whose long side exceeds ``--long-side`` are rescaled as the training
pipeline's ``Resize`` does and written under ROOT/IMG_DIR (JPEG quality 95 by
default; ``--format bmp`` or ``png`` for lossless copies); masks are rescaled
with them and boxes recomputed. ANN_FILE and ``--out`` are relative to ROOT
unless absolute. Use the new file as the
training ``ann_file``; test on the original split (the ISIC metrics are
defined at the original resolution).
"""
import argparse
import sys
from pathlib import Path

from mmskin.apis import positive_int
from mmskin.datasets.conversion import IMAGE_FORMATS, resize_split
from mmskin.utils import ISICFileError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Resize the images of a converted ISIC split once, for training')
    parser.add_argument('root', help="the split's data_root")
    parser.add_argument('ann_file', help='COCO file written by isic_to_coco.py')
    parser.add_argument('--out', required=True, help='the new COCO file')
    parser.add_argument('--img-dir', required=True,
                        help='folder under ROOT for the resized images')
    parser.add_argument('--long-side', type=positive_int, default=1024,
                        help="the training Resize scale (default 1024, paper II-A-1)")
    parser.add_argument('--format', choices=list(IMAGE_FORMATS), default='jpg',
                        help='jpg: quality 95 (default); bmp: lossless, fastest, large; '
                        'png: lossless, slow to decode')
    parser.add_argument('--nproc', type=positive_int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    if not out.is_absolute():
        out = Path(args.root) / out
    try:
        summary = resize_split(args.root, args.ann_file, out, args.img_dir,
                               long_side=args.long_side, image_format=args.format,
                               nproc=args.nproc)
    except (ISICFileError, ValueError) as error:
        sys.exit(f'error: {error}')
    print(summary)


if __name__ == '__main__':
    main()
