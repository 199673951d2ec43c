"""AUC of the lesion-area baseline on the images of a COCO file.

    python tools/analysis/area_baseline.py ANN_FILE [--run PER_IMAGE_CSV] [--json]

Scores each image by the fraction of it inside its ground-truth lesion mask
and reports how well that one number ranks melanoma (AUC, AP, specificity at
high sensitivities), with the same metric code as tools/test.py. A
classifier worth its name beats it on the same images: ``--run`` compares
a test run's ``p_malignant`` with it, image by image (DeLong's test).
"""
import argparse
import json
import sys

from mmskin.analysis.area_baseline import area_baseline_summary, run_against_area
from mmskin.utils import ISICFileError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Lesion-area baseline: ground-truth mask area / image area as p(malignant)')
    parser.add_argument('ann_file', help='COCO instance file written by the ISIC converter')
    parser.add_argument('--run', metavar='PER_IMAGE_CSV',
                        help="a tools/test.py run's per_image.csv on the same images: its AUC "
                        'against the baseline (DeLong)')
    parser.add_argument('--json', action='store_true',
                        help='also print the scores as one JSON object on the last line')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        scores = area_baseline_summary(args.ann_file)
        if args.run:
            comparison, n = run_against_area(args.ann_file, args.run)
    except (ISICFileError, OSError) as error:
        sys.exit(f'error: {error}')
    print(f'Lesion-area baseline on {args.ann_file}: {int(scores["n"])} images, '
          f'{int(scores["n_malignant"])} malignant')
    for name, value in scores.items():
        if name not in ('n', 'n_malignant'):
            print(f'  {name:<12} {value:.4f}')
    if args.run:
        low, high = comparison.interval
        print(f'Run against the lesion-area baseline on {n} images: AUC {comparison.auc_b:.4f} '
              f'(area {comparison.auc_a:.4f}), difference {comparison.difference:+.4f} '
              f'[{low:+.4f}, {high:+.4f}], DeLong p = {comparison.p_value:.3g} ({args.run})')
        scores.update(run_AUC=comparison.auc_b, run_minus_area_AUC=comparison.difference,
                      run_minus_area_AUC_lo=low, run_minus_area_AUC_hi=high,
                      delong_p=comparison.p_value)
    if args.json:
        print(json.dumps(scores))


if __name__ == '__main__':
    main()
