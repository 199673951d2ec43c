"""Write a seeded, stratified train / validation split of an ISIC label CSV.

The committed split of the real-data recipe was made with::

    python tools/misc/make_split.py ../shared/isic2017_train/labels.csv \\
        --val-size 300 --seed 0 --out-prefix configs/isic/splits/isic2017_train

It writes ``PREFIX_train.txt`` and ``PREFIX_val.txt``: image ids, one per line.
With ``--calib-fraction F`` it also writes ``PREFIX_calib.txt``: that
fraction of the training part, drawn from it alone (seeded, stratified), for
fitting an operating point and a calibration on images the model does not
train on; ``PREFIX_train.txt`` is then the rest, and ``PREFIX_val.txt`` is the
same as without the option.
"""
import argparse
import sys
from pathlib import Path

from mmskin.apis import nonnegative_int, positive_int, probability
from mmskin.datasets.splits import carve_calibration, stratified_split
from mmskin.utils import ISICFileError, read_label_csv, write_text_atomic


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Seeded train / validation split, stratified by melanoma')
    parser.add_argument('labels', help='ISIC 2017 (image_id,melanoma,...) or ISBI 2016 label CSV')
    parser.add_argument('--val-size', type=positive_int, required=True, help='validation images')
    parser.add_argument('--seed', type=nonnegative_int, default=0, help='same seed, same split')
    parser.add_argument(
        '--calib-fraction', type=probability,
        help='also carve this fraction of the training part into PREFIX_calib.txt')
    parser.add_argument('--out-prefix', required=True,
                        help='writes PREFIX_train.txt and PREFIX_val.txt (and PREFIX_calib.txt)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        labels = read_label_csv(args.labels).check()
        train_ids, val_ids = stratified_split(labels, args.val_size, args.seed)
        parts = [('train', train_ids), ('val', val_ids)]
        if args.calib_fraction is not None:
            train_ids, calib_ids = carve_calibration(labels, train_ids, args.calib_fraction,
                                                     args.seed)
            parts = [('train', train_ids), ('val', val_ids), ('calib', calib_ids)]
    except (ISICFileError, ValueError) as error:
        sys.exit(f'error: {error}')
    prefix = Path(args.out_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    for part, ids in parts:
        path = prefix.parent / f'{prefix.name}_{part}.txt'
        write_text_atomic(path, ''.join(f'{i}\n' for i in ids))
        print(f'{path}: {len(ids)} images, {sum(labels[i] for i in ids)} melanoma')


if __name__ == '__main__':
    main()
