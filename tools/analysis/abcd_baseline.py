"""AUC of a logistic regression on the ABCD features, beside the lesion-area baseline.

    python tools/analysis/abcd_baseline.py TRAIN_ANN VAL_ANN --data-root DIR \
        [--ci bootstrap|none] [--ci-resamples N] [--seed S] [--json]

Computes the dermatologist's ABCD features (asymmetry, border, colour,
diameter; mmskin.analysis.abcd) of each image's ground-truth lesion, fits a
standardised logistic regression on the images of TRAIN_ANN and scores the
images of VAL_ANN with the metric code and intervals of tools/test.py (AUC
with DeLong's interval, AP and specificity at high sensitivities with
bootstrap intervals), beside the lesion-area baseline on the same images and
DeLong's test of the two AUCs. Both files are COCO files of the ISIC
converter whose image file names are relative to DIR.
"""
import argparse
import json
import sys

from mmskin.analysis.abcd_baseline import abcd_baseline
from mmskin.apis import add_interval_args, interval_resamples
from mmskin.evaluation.intervals import format_interval
from mmskin.utils import ISICFileError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='ABCD-feature logistic regression against the lesion-area baseline')
    parser.add_argument('train_ann', help='COCO file of the images to fit on')
    parser.add_argument('val_ann', help='COCO file of the images to score')
    parser.add_argument('--data-root', required=True,
                        help="folder the files' image names are relative to (the converter's "
                        'ROOT or --root)')
    add_interval_args(parser)
    parser.add_argument('--json', action='store_true',
                        help='also print the results as one JSON object on the last line')
    return parser.parse_args(argv)


def _print_scores(title: str, scores: dict) -> None:
    print(title)
    for name, value in scores.items():
        if name.endswith(('_lo', '_hi')):
            continue
        interval = (scores[f'{name}_lo'], scores[f'{name}_hi']) if f'{name}_lo' in scores else None
        print(f'  {name:<12} {value:.4f} {format_interval(interval)}'.rstrip())


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        result = abcd_baseline(args.train_ann, args.val_ann, args.data_root,
                               n_resamples=interval_resamples(args), seed=args.seed)
    except (ISICFileError, OSError) as error:
        sys.exit(f'error: {error}')
    print(f'fitted on {args.train_ann}: {result["n_train"]} images, '
          f'{result["n_train_malignant"]} malignant')
    print(f'scored on {args.val_ann}: {result["n_val"]} images, '
          f'{result["n_val_malignant"]} malignant')
    _print_scores('ABCD logistic regression', result['abcd'])
    _print_scores('Lesion-area baseline', result['area'])
    delong = result['delong']
    print(f'AUC difference (ABCD - area) {delong.difference:+.4f} '
          f'{format_interval(delong.interval)}, DeLong p = {delong.p_value:.4f}')
    print('standardised coefficients: ' + ', '.join(
        f'{name} {value:+.3f}' for name, value in result['coefficients'].items()))
    if args.json:
        print(json.dumps(dict(result, delong=vars(delong),
                              p_malignant=result['p_malignant'].tolist())))


if __name__ == '__main__':
    main()
