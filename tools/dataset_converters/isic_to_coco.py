"""Convert ISIC releases, PH2 or a folder of images and masks to COCO
instance annotations.

Examples::

    python tools/dataset_converters/isic_to_coco.py isbi2016 data/isic \\
        --split Training --out data/isic/annotations/isbi2016_train.json
    python tools/dataset_converters/isic_to_coco.py isic2017 data/isic \\
        --split Validation --out data/isic/annotations/isic2017_val.json
    python tools/dataset_converters/isic_to_coco.py archive data/isic \\
        --images archive/images --masks archive/masks --metadata archive/metadata.csv \\
        --out data/isic/annotations/archive_train.json --skip-bad --nproc 8
    python tools/dataset_converters/isic_to_coco.py isic2018 data/isic2018 --split Training \\
        --labels data/isic2018/ISIC2018_Task3_Training_GroundTruth.csv \\
        --out data/isic2018/annotations/train.json
    python tools/dataset_converters/isic_to_coco.py ph2 data/PH2Dataset --out data/ph2.json
    python tools/dataset_converters/isic_to_coco.py folder --images DIR --masks DIR \\
        [--labels CSV] --out F.json

``file_name`` in the output is relative to ROOT (``folder``: to ``--root``,
default the parent of ``--images``): use it as the config's ``data_root``.
Images without a label are kept, unlabelled; the summary counts them.
"""
import argparse
import logging
from pathlib import Path

from mmskin.apis import one_line_errors, positive_int
from mmskin.datasets.conversion import (OFFICIAL_LAYOUTS, convert_to_coco, find_archive_samples,
                                        find_official_samples)
from mmskin.datasets.conversion.other_layouts import (ISIC2018_SPLITS, find_folder_samples,
                                                      find_isic2018_samples, find_ph2_samples)
from mmskin.utils import ISICFileError, check_output_file, check_writable_dir, read_id_list

#: The options each layout takes (besides --out and the common ones).
LAYOUT_OPTIONS = {
    **{name: ('root', 'split') for name in OFFICIAL_LAYOUTS},
    'archive': ('root', 'images', 'masks', 'metadata'),
    'isic2018': ('root', 'split', 'labels', 'malignant'),
    'ph2': ('root', 'labels'),
    'folder': ('images', 'masks', 'labels', 'folder_root'),
}
REQUIRED_OPTIONS = {
    **{name: ('root', 'split') for name in OFFICIAL_LAYOUTS},
    'archive': ('root', 'images', 'masks', 'metadata'),
    'isic2018': ('root', 'split'),
    'ph2': ('root', ),
    'folder': ('images', 'masks'),
}
SPLITS = {**{name: spec.splits for name, spec in OFFICIAL_LAYOUTS.items()},
          'isic2018': ISIC2018_SPLITS}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert lesion images, masks and labels to a COCO instance JSON')
    parser.add_argument('layout', choices=list(LAYOUT_OPTIONS),
                        help='how the data are laid out on disk')
    parser.add_argument('root', nargs='?',
                        help='folder the archives were unpacked in (not for folder)')
    parser.add_argument('--out', required=True, help='output JSON file')
    parser.add_argument('--split', help='split: ' + '; '.join(
        f'{name}: {", ".join(splits)}' for name, splits in SPLITS.items()))
    parser.add_argument('--images', help='archive: image folder, relative to ROOT; '
                        'folder: the image folder')
    parser.add_argument('--masks', help='archive: mask folder, relative to ROOT; folder: the '
                        'folder of <image stem>_segmentation.png masks')
    parser.add_argument('--metadata', help='archive: metadata CSV, relative to ROOT')
    parser.add_argument('--labels', help='isic2018, ph2, folder: a label CSV (image_id with '
                        'melanoma or malignant, one-hot diagnoses, or benign_malignant)')
    parser.add_argument('--malignant', default='MEL',
                        help='isic2018 one-hot labels: diagnoses that count as malignant, '
                        'comma-separated (default MEL, melanoma)')
    parser.add_argument('--root', dest='folder_root',
                        help='folder: file names are relative to it (default: the parent of '
                        '--images)')
    parser.add_argument('--ids', help='a text file of image ids, one per line: convert only '
                        'those')
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
    parser.add_argument('--nproc', type=positive_int, default=1, help='processes decoding images')
    args = parser.parse_args(argv)
    given = {name for name in ('root', 'split', 'images', 'masks', 'metadata', 'labels',
                               'folder_root') if getattr(args, name) is not None}
    if args.malignant != 'MEL':
        given.add('malignant')
    missing = [name for name in REQUIRED_OPTIONS[args.layout] if name not in given]
    extra = sorted(given - set(LAYOUT_OPTIONS[args.layout]))
    if missing or extra:
        parser.error(f'{args.layout} needs {_flags(REQUIRED_OPTIONS[args.layout])} and takes '
                     f'{_flags(LAYOUT_OPTIONS[args.layout])}' +
                     (f'; missing {_flags(missing)}' if missing else '') +
                     (f'; not for {args.layout}: {_flags(extra)}' if extra else ''))
    if args.layout in SPLITS and args.split not in SPLITS[args.layout]:
        parser.error(f'{args.layout} has no split {args.split!r}; expected one of '
                     f'{", ".join(SPLITS[args.layout])}')
    return args


def _flags(names) -> str:
    return ', '.join('ROOT' if n == 'root' else '--root' if n == 'folder_root' else f'--{n}'
                     for n in names)


def find_samples(args: argparse.Namespace):
    """The sample collection the command line describes."""
    if args.layout == 'archive':
        return find_archive_samples(args.root, args.images, args.masks, args.metadata)
    if args.layout == 'isic2018':
        return find_isic2018_samples(args.root, args.split, args.labels,
                                     tuple(d.strip() for d in args.malignant.split(',')))
    if args.layout == 'ph2':
        return find_ph2_samples(args.root, args.labels)
    if args.layout == 'folder':
        return find_folder_samples(args.images, args.masks, args.labels, args.folder_root)
    return find_official_samples(args.root, args.layout, args.split)


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(format='%(levelname)s: %(message)s')
    # Bad input or an unwritable output: one line naming the file, exit 1.
    with one_line_errors():
        # A .json file: never one of the images, masks or CSVs it is made of.
        if Path(args.out).suffix.lower() != '.json':
            raise ISICFileError(args.out, '--out must name a .json file (the COCO annotations)')
        metadata = args.metadata and Path(args.root) / args.metadata
        check_output_file(args.out, '--out', (args.labels, metadata, args.ids))
        check_writable_dir(Path(args.out).parent, 'output folder')
        collection = find_samples(args)
        if args.ids:
            collection = collection.select(read_id_list(args.ids), args.ids)
        summary = convert_to_coco(collection, args.out, skip_bad=args.skip_bad,
                                  polygon=args.polygon, nproc=args.nproc)
    print(summary)


if __name__ == '__main__':
    main()
