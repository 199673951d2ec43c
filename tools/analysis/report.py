"""One self-contained HTML page of a test run.

    python tools/analysis/report.py RUN_DIR --images IMG_DIR \
        [--gt-masks GT_DIR] --out report.html [--gallery N] \
        [--positive malignant|benign] [--ci bootstrap|none] \
        [--cam CONFIG CHECKPOINT [--cam-layer NAME] [--device cpu|cuda:0]]

RUN_DIR is the ``--isic-out`` folder of ``tools/test.py`` (``per_image.csv``,
``masks/``); IMG_DIR holds the test photos as ``<image_id>.jpg`` (or .png);
GT_DIR, optional, the ground-truth masks, whose contours are then drawn.
The page (``mmskin.visualization.report``) holds the metric tables with 95%
intervals, ROC / PR curves, the JA histogram, the reliability diagram, the
confusion matrix and Fig. 4 overlays of the worst segmentations and of the
false negatives and false positives; everything is embedded, so it opens
offline. With ``--cam`` the run's model draws the Grad-CAM map of the
malignancy call under each gallery photo (:func:`mmskin.apis.lesion_cam`)
and the most confident malignant calls get a gallery. Exit status: 0
written, 1 bad input (one line naming the file).
"""
import argparse
import os.path as osp
import sys

import torch

from mmskin.apis import (add_interval_args, init_lesion_model, interval_resamples, lesion_cam_of,
                         nonnegative_int)
from mmskin.evaluation import read_per_image
from mmskin.utils import check_output_file
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
    parser.add_argument(
        '--cam', nargs=2, metavar=('CONFIG', 'CHECKPOINT'),
        help='the model of the run: draw the saliency map of each gallery photo')
    parser.add_argument(
        '--cam-layer',
        help='module the maps explain, e.g. backbone.layer4 (default: the FPN output the '
        "lesion's box is pooled from)")
    parser.add_argument(
        '--device', default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device of the --cam model (default: cuda:0 if available)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        per_image_csv = osp.join(args.run_dir, 'per_image.csv')
        per_image = read_per_image(per_image_csv)
        image_paths = find_images(args.images, per_image['image_id'])
        check_output_file(args.out, '--out', [per_image_csv, osp.join(args.run_dir, 'masks'),
                                              args.gt_masks, *image_paths.values()])
        gt_mask = folder_gt_masks(args.gt_masks) if args.gt_masks else None
        if args.cam_layer and not args.cam:
            raise ValueError('--cam-layer needs --cam')
        saliency = None
        if args.cam:
            model = init_lesion_model(*args.cam, device=args.device)
            saliency = lesion_cam_of(model, model.cfg, args.cam_layer)
        path = write_report(args.out, args.run_dir, image_paths, gt_mask=gt_mask,
                            gallery_size=args.gallery, positive=args.positive,
                            n_resamples=interval_resamples(args),
                            seed=args.seed, saliency=saliency)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
