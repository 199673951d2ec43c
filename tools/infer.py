"""Run a trained model on new photos and write what paper Fig. 4 shows.

    python tools/infer.py CONFIG CHECKPOINT INPUT --out-dir DIR [--gt-masks DIR] \
        [--cam [--cam-layer NAME]] [--abcd] [--threshold VALUE|FILE] [--tta] \
        [--device cpu|cuda:0] [--cpu-threads N] [--cfg-options KEY=VALUE ...]

INPUT is one image or a folder of JPEG/PNG photos of any size. DIR receives
``predictions.csv`` (image, p_malignant, label, score, box x0 y0 x1 y1, lesion
area in pixels, detected; with ``--abcd`` also the ABCD features of the
predicted lesion: asymmetry, border, colours, diameter),
``masks/<stem>_segmentation.png`` (0/255, the photo's size) and
``overlays/<stem>.jpg`` (predicted contour red, ground truth black with
``--gt-masks``, box, class and probability); with ``--cam`` also
``cams/<stem>.jpg``, the Grad-CAM map of the malignancy call drawn on the
photo (:func:`mmskin.apis.lesion_cam`). Files that are
not usable images are reported and skipped; the exit status is then 1.
The label is malignant iff p_malignant > 0.5 (the ISIC rule), or the
``--threshold`` given as a number or an ``operating_point.json``; ``--tta``
merges the flipped views into each lesion (the config's ``tta_pipeline``).
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

import torch

from mmskin.analysis.operating_point import threshold_of
from mmskin.apis import (ConfigError, add_cfg_options_arg, add_threads_arg, apply_cpu_threads,
                         init_lesion_model, one_line_errors, run_inference)
from mmskin.utils import check_output_file, check_output_folder, check_writable_dir, list_images


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Predict the lesion (class probability, box, mask) of new photos')
    parser.add_argument('config', help='config file the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (trusted: loaded in full)')
    parser.add_argument('input', help='an image, or a folder of images')
    parser.add_argument('--out-dir', required=True, help='folder for the CSV, masks and overlays')
    parser.add_argument(
        '--gt-masks',
        help='folder of ground-truth masks <stem>_segmentation.png (or _Segmentation.png), '
        'drawn in black on the overlays')
    parser.add_argument(
        '--cam', action='store_true',
        help='also write cams/<stem>.jpg, the Grad-CAM map of the malignant logit of the '
        "lesion's box drawn on the photo")
    parser.add_argument(
        '--cam-layer',
        help='module the map explains, e.g. backbone.layer4 (default: the FPN output the '
        "lesion's box is pooled from)")
    parser.add_argument(
        '--abcd', action='store_true',
        help='also write the ABCD features of each predicted lesion (asymmetry, border, colours, '
        'diameter) as columns of predictions.csv')
    parser.add_argument(
        '--device', default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device to run on, e.g. cpu or cuda:0 (default: cuda:0 if available)')
    parser.add_argument(
        '--threshold', default='0.5', metavar='VALUE|FILE',
        help='label malignant iff p_malignant > VALUE, or the threshold of an '
        'operating_point.json (tools/analysis/operating_point.py); default 0.5, the ISIC rule')
    parser.add_argument(
        '--tta', action='store_true',
        help='test-time augmentation: the config\'s tta_model and tta_pipeline (flips)')
    add_threads_arg(parser)
    add_cfg_options_arg(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    # Bad input, an unwritable or full output folder, a damaged checkpoint:
    # one line naming the file, exit 1; interrupted, the images finished are
    # kept whole (mmskin.apis.LesionResultWriter).
    with one_line_errors():
        if args.cam_layer and not args.cam:
            raise ConfigError('--cam-layer needs --cam')
        threshold = threshold_of(args.threshold)
        images = list_images(args.input)
        check_output_folder(args.out_dir, '--out-dir', subfolders=('masks', 'overlays'))
        for name in ('masks', 'overlays'):
            # Masks and overlays take the photos' names: never among inputs.
            check_output_folder(Path(args.out_dir) / name, f'--out-dir {name}/',
                                (args.input, args.gt_masks, args.config, args.checkpoint))
        check_output_file(Path(args.out_dir) / 'predictions.csv', 'the CSV of --out-dir')
        check_writable_dir(args.out_dir, 'output folder')
        apply_cpu_threads(args.cpu_threads, args.device)
        model = init_lesion_model(args.config, args.checkpoint, args.device, args.cfg_options,
                                  tta=args.tta)
        summary = run_inference(model, images, args.out_dir, gt_dir=args.gt_masks, cam=args.cam,
                                cam_layer=args.cam_layer, abcd=args.abcd, threshold=threshold)
    gt_note = (f', ground truth not drawn for {len(summary.gt_problems)}'
               if summary.gt_problems else '')
    print(f'processed {summary.processed}, failed {len(summary.failed)}{gt_note} '
          f'(results in {args.out_dir})')
    return 1 if summary.failed else 0


if __name__ == '__main__':
    sys.exit(main())
