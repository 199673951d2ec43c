"""Score ISIC predictions offline, as the official ISIC challenge scorer does.

Segmentation (ISIC 2017 Part 1 metrics, plus the ISIC 2018 thresholded JA):

    python tools/analysis/isic_score.py seg PRED_DIR GT_DIR [--json]

PRED_DIR holds ``ISIC_<id>_segmentation.png`` (``_Segmentation`` accepted),
0/255 single-channel at the original size (binarised as value > 128, so a
0/1 mask counts as all background: such files get a warning). GT_DIR is an
official ground-truth folder (``_Segmentation.png`` of ISBI 2016 or
``_segmentation.png`` of ISIC 2017).

Classification (ISBI 2016 / ISIC 2017 Part 3 metrics):

    python tools/analysis/isic_score.py cls PRED_CSV GT_CSV \
        [--positive malignant|benign] [--json]

PRED_CSV has rows ``image_id,melanoma`` (probability; header optional), as
``tools/test.py`` writes in ``part3_submission.csv``. GT_CSV is an ISBI 2016
(no header, benign|malignant or 0.0|1.0) or ISIC 2017
(``image_id,melanoma,...``) ground-truth file.

A ground-truth image without prediction is an error; ``--allow-missing``
scores it as an image with no detection (empty mask, probability 0.0)
instead. Predictions without ground truth are listed and ignored. With
``--json`` the last line printed is one JSON object (``JA, DI, AC, SE, SP,
TJA, n`` or ``AC, AUC, AP, SE, SP, n``; an undefined value is ``null``).

Each score is printed with its 95% interval (``mmskin.evaluation.intervals``:
percentile bootstrap over images, ``--ci-resamples`` resamples seeded with
``--seed``; DeLong's interval for AUC), in ``--json`` as ``<name>_lo`` /
``<name>_hi``; ``--ci none`` turns them off.
Exit status: 0 scored, 1 bad input (one line naming the file), 2 bad usage.
"""
import argparse
import json
import math
import sys

from mmskin.analysis.scoring import (ScoringReport, score_classification_files,
                                     score_segmentation_folders)
from mmskin.apis import add_interval_args
from mmskin.evaluation.functional import CLS_METRICS, EMPTY_RULES, SEG_SCORES, per_image_scores
from mmskin.evaluation.intervals import (classification_intervals, format_interval,
                                         segmentation_intervals, with_interval_keys)
from mmskin.utils import ISICFileError

JSON_KEYS = {'seg': SEG_SCORES, 'cls': CLS_METRICS}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Score ISIC predictions as the official challenge scorer does.')
    tasks = parser.add_subparsers(dest='task', required=True)
    seg = tasks.add_parser('seg', help='lesion segmentation masks')
    seg.add_argument('pred', help='folder of ISIC_<id>_segmentation.png predictions')
    seg.add_argument('gt', help='folder of ground-truth masks')
    seg.add_argument(
        '--empty-rule',
        choices=EMPTY_RULES,
        default='one',
        help='empty denominator: score 1.0 (official scorer today) or leave the image out '
        'of that mean (2016/2017 platform)')
    cls = tasks.add_parser('cls', help='benign/malignant probabilities')
    cls.add_argument('pred', help='CSV of image_id,melanoma probabilities')
    cls.add_argument('gt', help='ISBI 2016 or ISIC 2017 ground-truth CSV')
    cls.add_argument(
        '--positive',
        choices=('malignant', 'benign'),
        default='malignant',
        help="positive class; 'benign' is the paper's convention (III-C)")
    for task in (seg, cls):
        task.add_argument(
            '--allow-missing',
            action='store_true',
            help='score ground-truth images without prediction as images with no detection')
        task.add_argument('--json', action='store_true', help='end with one JSON line')
        add_interval_args(task)
    return parser.parse_args(argv)


def _intervals(args: argparse.Namespace, report: ScoringReport) -> dict:
    if args.ci == 'none':
        return {}
    if args.task == 'seg':
        return segmentation_intervals(per_image_scores(report.counts, args.empty_rule),
                                      n_resamples=args.ci_resamples, seed=args.seed)
    return classification_intervals(report.gt_labels, report.p_malignant, args.positive,
                                    n_resamples=args.ci_resamples, seed=args.seed)


def _print_report(task: str, report: ScoringReport, intervals: dict) -> None:
    if report.missing:
        print(f'WARNING: {len(report.missing)} images have no prediction and are scored as '
              f'no detection: {", ".join(report.missing)}', file=sys.stderr)
    if report.extra:
        print(f'WARNING: {len(report.extra)} predictions have no ground truth and are ignored: '
              f'{", ".join(report.extra)}', file=sys.stderr)
    if report.low_valued:
        print(f'WARNING: {len(report.low_valued)} predicted masks have no value above 128 but '
              'non-zero pixels (0/1 masks?); the official scorer counts them as all '
              f'background, and so does this score: {", ".join(report.low_valued)}. '
              'Write masks as 0/255.', file=sys.stderr)
    width = max(len(name) for name in report.summary)
    print(f'ISIC {"segmentation" if task == "seg" else "classification"} scores, '
          f'{report.n} images')
    if intervals:
        print(f'  {"":<{width}}  {"value":<6}  95% interval')
    for name, value in report.summary.items():
        print(f'  {name:<{width}}  {value:.4f}  {format_interval(intervals.get(name))}'.rstrip())


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.task == 'seg':
            report = score_segmentation_folders(args.pred, args.gt, args.empty_rule,
                                                args.allow_missing)
        else:
            report = score_classification_files(args.pred, args.gt, args.positive,
                                                args.allow_missing)
        intervals = _intervals(args, report)
    except ISICFileError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    except OSError as error:  # e.g. an unreadable file
        where = f'{error.filename}: ' if error.filename else ''
        print(f'error: {where}{error.strerror or error}', file=sys.stderr)
        return 1
    _print_report(args.task, report, intervals)
    if args.json:
        values = with_interval_keys({key: report.summary[key] for key in JSON_KEYS[args.task]},
                                    intervals)
        values = {key: None if math.isnan(v) else v for key, v in values.items()}
        values['n'] = report.n
        sys.stdout.flush()
        print(json.dumps(values))
    return 0


if __name__ == '__main__':
    sys.exit(main())
