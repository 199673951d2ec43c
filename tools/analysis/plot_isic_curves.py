"""ROC and precision-recall curves and the per-image JA histogram of a test run.

    python tools/analysis/plot_isic_curves.py WORK/per_image.csv --out DIR \
        [--positive malignant|benign]

Reads the ``per_image.csv`` that ``ISICSegMetric(out_dir=...)`` writes
(``tools/test.py --isic-out``) and writes ``DIR/roc.png`` and ``DIR/pr.png``
(AUC / AP and their 95% intervals in the legend, the 0.5 operating point
marked) and ``DIR/ja_hist.png``. Images without a ground-truth label are left out of
the curves; a run without benign / malignant probabilities (NaN, a model
with one foreground class) gets the histogram only.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

from mmskin.evaluation.intervals import classification_intervals
from mmskin.evaluation import read_per_image
from mmskin.visualization.isic_plots import (ja_histogram_figure, pr_figure, roc_figure,
                                             save_figure)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot ISIC ROC / PR curves and the JA histogram.')
    parser.add_argument('results', help='per_image.csv of a test run')
    parser.add_argument('--out', required=True, help='folder for the PNG files')
    parser.add_argument('--positive', choices=('malignant', 'benign'), default='malignant')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        data = read_per_image(args.results)
        labelled = data['gt_label'] >= 0
        p_malignant = data['p_malignant'][labelled]
        os.makedirs(args.out, exist_ok=True)
        paths = []
        if not labelled.any():
            print(f'{args.results}: no image has a ground-truth label; no ROC / PR curves')
        elif np.isnan(p_malignant).any():
            print(f'{args.results}: p_malignant is NaN (a model without benign / malignant '
                  'classifier); no ROC / PR curves')
        else:
            gt_labels = data['gt_label'][labelled]
            intervals = classification_intervals(gt_labels, p_malignant, args.positive)
            paths.append(save_figure(
                roc_figure(gt_labels, p_malignant, args.positive, auc_interval=intervals['AUC']),
                osp.join(args.out, 'roc.png')))
            paths.append(save_figure(
                pr_figure(gt_labels, p_malignant, args.positive, ap_interval=intervals['AP']),
                osp.join(args.out, 'pr.png')))
        paths.append(save_figure(ja_histogram_figure(data['JA']),
                                 osp.join(args.out, 'ja_hist.png')))
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    except OSError as error:  # an unwritable or full output folder
        where = f'{error.filename}: ' if error.filename else ''
        print(f'error: {where}{error.strerror or error}', file=sys.stderr)
        return 1
    for path in paths:
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
