"""AUC of the lesion-area baseline on the images of a COCO file.

    python tools/analysis/area_baseline.py ANN_FILE [--json]

Scores each image by the fraction of it inside its ground-truth lesion mask
and reports how well that one number ranks melanoma (AUC, AP, specificity at
high sensitivities), with the same metric code as tools/test.py. A
classifier worth its name beats it on the same images.
"""
import argparse
import json
import sys

from mmskin.analysis.area_baseline import area_baseline_summary
from mmskin.utils import ISICFileError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Lesion-area baseline: ground-truth mask area / image area as p(malignant)')
    parser.add_argument('ann_file', help='COCO instance file written by the ISIC converter')
    parser.add_argument('--json', action='store_true',
                        help='also print the scores as one JSON object on the last line')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        scores = area_baseline_summary(args.ann_file)
    except (ISICFileError, OSError) as error:
        sys.exit(f'error: {error}')
    print(f'Lesion-area baseline on {args.ann_file}: {int(scores["n"])} images, '
          f'{int(scores["n_malignant"])} malignant')
    for name, value in scores.items():
        if name not in ('n', 'n_malignant'):
            print(f'  {name:<12} {value:.4f}')
    if args.json:
        print(json.dumps(scores))


if __name__ == '__main__':
    main()
