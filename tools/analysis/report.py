"""One self-contained HTML page of a test run.

    python tools/analysis/report.py RUN_DIR --images IMG_DIR \
        [--gt-masks GT_DIR] --out report.html [--gallery N] \
        [--positive malignant|benign] [--ci bootstrap|none]

RUN_DIR is the ``--isic-out`` folder of ``tools/test.py`` (``per_image.csv``,
``masks/``); IMG_DIR holds the test photos as ``<image_id>.jpg`` (or .png);
GT_DIR, optional, the ground-truth masks, whose contours are then drawn.
The page (``mmskin.visualization.report``) holds the metric tables with 95%
intervals, ROC / PR curves, the JA histogram, the reliability diagram, the
confusion matrix and Fig. 4 overlays of the worst segmentations and of the
false negatives and false positives; everything is embedded, so it opens
offline. Exit status: 0 written, 1 bad input (one line naming the file).
"""
import argparse
import sys

from mmskin.apis import add_interval_args, interval_resamples, nonnegative_int
from mmskin.evaluation import read_per_image
from mmskin.visualization.report import GALLERY_SIZE, find_images, folder_gt_masks, write_report


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write the HTML report of a test run.')
    parser.add_argument('run_dir', help='the --isic-out folder of tools/test.py')
    parser.add_argument('--images', required=True, help='folder of the test photos')
    parser.add_argument('--gt-masks', help='folder of the ground-truth masks (optional)')
    parser.add_argument('--out', required=True, help='the HTML file to write')
    parser.add_argument('--gallery', type=nonnegative_int, default=GALLERY_SIZE,
                        help='photos per gallery (default %(default)s)')
    parser.add_argument('--positive', choices=('malignant', 'benign'), default='malignant')
    add_interval_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        per_image = read_per_image(f'{args.run_dir}/per_image.csv')
        image_paths = find_images(args.images, per_image['image_id'])
        gt_mask = folder_gt_masks(args.gt_masks) if args.gt_masks else None
        path = write_report(args.out, args.run_dir, image_paths, gt_mask=gt_mask,
                            gallery_size=args.gallery, positive=args.positive,
                            n_resamples=interval_resamples(args),
                            seed=args.seed)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
