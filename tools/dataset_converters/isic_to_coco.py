"""Convert an official ISIC release to COCO instance annotations.

Examples::

    python tools/dataset_converters/isic_to_coco.py isbi2016 data/isic \\
        --split Training --out data/isic/annotations/isbi2016_train.json
    python tools/dataset_converters/isic_to_coco.py isic2017 data/isic \\
        --split Validation --out data/isic/annotations/isic2017_val.json
    python tools/dataset_converters/isic_to_coco.py archive data/isic \\
        --images archive/images --masks archive/masks --metadata archive/metadata.csv \\
        --out data/isic/annotations/archive_train.json --skip-bad --nproc 8

``file_name`` in the output is relative to ROOT: use ROOT as the config's
``data_root``.
"""
import argparse
import logging
from pathlib import Path

from mmskin.apis.runner_setup import one_line_errors
from mmskin.datasets.conversion import (OFFICIAL_LAYOUTS, convert_to_coco, find_archive_samples,
                                        find_official_samples)
from mmskin.utils import check_writable_dir


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert ISIC images, masks and labels to a COCO instance JSON')
    parser.add_argument('layout', choices=[*OFFICIAL_LAYOUTS, 'archive'],
                        help='how the data are laid out on disk')
    parser.add_argument('root', help='folder the ISIC archives were unpacked in')
    parser.add_argument('--out', required=True, help='output JSON file')
    parser.add_argument(
        '--split', help='split of an official release: ' + '; '.join(
            f'{name}: {", ".join(spec.splits)}' for name, spec in OFFICIAL_LAYOUTS.items()))
    parser.add_argument('--images', help='archive: image folder, relative to ROOT')
    parser.add_argument('--masks', help='archive: mask folder, relative to ROOT')
    parser.add_argument('--metadata', help='archive: metadata CSV, relative to ROOT')
    parser.add_argument('--skip-bad', action='store_true',
                        help='warn about and skip unusable images instead of stopping')
    encoding = parser.add_mutually_exclusive_group()
    encoding.add_argument('--rle', dest='polygon', action='store_false',
                          help='store masks as RLE (default; exact)')
    encoding.add_argument('--polygon', dest='polygon', action='store_true',
                          help='store masks as polygons of their outer contours')
    # Both flags write to one destination: without an explicit default the
    # first one's (store_false: True) would make polygons the default.
    parser.set_defaults(polygon=False)
    parser.add_argument('--nproc', type=int, default=1, help='processes decoding images')
    args = parser.parse_args(argv)
    archive_options = ('images', 'masks', 'metadata')
    if args.layout == 'archive':
        missing = [f'--{name}' for name in archive_options if getattr(args, name) is None]
        if missing or args.split:
            parser.error('archive needs --images, --masks and --metadata, and takes no --split')
    elif not args.split or any(getattr(args, name) for name in archive_options):
        parser.error(f'{args.layout} needs --split '
                     f'({", ".join(OFFICIAL_LAYOUTS[args.layout].splits)}) and takes no '
                     '--images/--masks/--metadata')
    elif args.split not in OFFICIAL_LAYOUTS[args.layout].splits:
        parser.error(f'{args.layout} has no split {args.split!r}; expected one of '
                     f'{", ".join(OFFICIAL_LAYOUTS[args.layout].splits)}')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(format='%(levelname)s: %(message)s')
    # Bad input or an unwritable output: one line naming the file, exit 1.
    with one_line_errors():
        check_writable_dir(Path(args.out).parent, 'output folder')
        if args.layout == 'archive':
            collection = find_archive_samples(args.root, args.images, args.masks, args.metadata)
        else:
            collection = find_official_samples(args.root, args.layout, args.split)
        summary = convert_to_coco(collection, args.out, skip_bad=args.skip_bad,
                                  polygon=args.polygon, nproc=args.nproc)
    print(summary)


if __name__ == '__main__':
    main()
