"""Write synthetic dermoscopy images in an official ISIC layout.

For demos and tests where the ISIC archives cannot be downloaded. Example::

    python tools/misc/generate_synthetic_isic.py data/isic_synthetic \\
        --layout isic2017 --num-train 200 --num-val 40 --num-test 60 --seed 0
    python tools/dataset_converters/isic_to_coco.py isic2017 data/isic_synthetic \\
        --split Training --out data/isic_synthetic/annotations/isic2017_train.json
"""
import argparse
import sys
import time

from mmskin.apis import nonnegative_int, positive_float, probability
from mmskin.datasets.synthetic import SPLIT_ROLES, generate_isic_layout


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write synthetic dermoscopy images, masks and labels in an ISIC layout')
    parser.add_argument('out_dir', help='folder to write the layout into')
    parser.add_argument('--layout', choices=list(SPLIT_ROLES), default='isbi2016',
                        help='official release to imitate')
    parser.add_argument('--num-train', type=nonnegative_int, default=60, help='training images')
    parser.add_argument('--num-val', type=nonnegative_int, default=None,
                        help='validation images (isic2017 only; default 20 there)')
    parser.add_argument('--num-test', type=nonnegative_int, default=30, help='test images')
    parser.add_argument('--seed', type=nonnegative_int, default=0, help='same seed, same files')
    parser.add_argument('--scale', type=positive_float, default=0.1,
                        help='factor on camera-sized images (0.1: long side 256-384 px)')
    parser.add_argument('--malignant-fraction', type=probability, default=0.3,
                        help='share of malignant images in each split')
    args = parser.parse_args(argv)
    if args.num_val is None:
        args.num_val = 20 if 'val' in SPLIT_ROLES[args.layout] else 0
    elif args.num_val and 'val' not in SPLIT_ROLES[args.layout]:
        parser.error(f'{args.layout} has no validation split; leave out --num-val')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        written = generate_isic_layout(
            args.out_dir, args.layout, num_train=args.num_train, num_val=args.num_val,
            num_test=args.num_test, seed=args.seed, scale=args.scale,
            malignant_fraction=args.malignant_fraction)
    except (ValueError, OSError) as error:
        sys.exit(f'error: {error}')
    for split, labels in written.items():
        malignant = sum(labels.values())
        print(f'{split}: {len(labels)} images ({len(labels) - malignant} benign, '
              f'{malignant} malignant)')
    print(f'wrote {args.out_dir} in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
