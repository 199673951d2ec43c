"""ROC and precision-recall curves and the per-image JA histogram of a test run.

    python tools/analysis/plot_isic_curves.py WORK/per_image.csv --out DIR \
        [--positive malignant|benign]

Reads the ``per_image.csv`` that ``ISICSegMetric(out_dir=...)`` writes
(``tools/test.py --isic-out``) and writes ``DIR/roc.png`` and ``DIR/pr.png``
(AUC / AP in the legend, the 0.5 operating point marked) and
``DIR/ja_hist.png``. Images without a ground-truth label are left out of
the curves; a run without benign / malignant probabilities (NaN, a model
with one foreground class) gets the histogram only.
"""
import argparse
import io
import math
import os
import os.path as osp
import sys
from typing import List

import matplotlib

matplotlib.use('Agg')  # noqa: E402  files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from mmskin.evaluation import read_lesion_csv  # noqa: E402
from mmskin.evaluation.functional import (TJA_THRESHOLD,  # noqa: E402
                                          classification_summary, decision_counts,
                                          positive_class_scores, threshold_jaccard)
from mmskin.utils import write_bytes_atomic  # noqa: E402

#: The per_image.csv columns the plots need.
REQUIRED_COLUMNS = ('image_id', 'gt_label', 'p_malignant', 'JA')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot ISIC ROC / PR curves and the JA histogram.')
    parser.add_argument('results', help='per_image.csv of a test run')
    parser.add_argument('--out', required=True, help='folder for the PNG files')
    parser.add_argument('--positive', choices=('malignant', 'benign'), default='malignant')
    return parser.parse_args(argv)


def _save(fig, path: str) -> str:
    """Write the figure as PNG through ``write_bytes_atomic`` (whole or not at all)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=120, bbox_inches='tight')
    plt.close(fig)
    write_bytes_atomic(path, buffer.getvalue())
    return path


def plot_roc_pr(gt_labels: np.ndarray, p_malignant: np.ndarray, out_dir: str,
                positive: str) -> List[str]:
    """Write roc.png and pr.png (AUC / AP in the legend, the 0.5 point marked)."""
    summary = classification_summary(gt_labels, p_malignant, positive=positive, sensitivities=())
    y_true, y_score = positive_class_scores(gt_labels, p_malignant, positive)
    # The operating point of the ISIC scorer: positive iff score > 0.5.
    tp, fp, fn, tn = decision_counts(y_true, y_score, 0.5)
    recall = tp / max(tp + fn, 1)
    fpr_at_half = fp / max(fp + tn, 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    two_classes = not math.isnan(summary['AUC'])

    fig, ax = plt.subplots(figsize=(5, 5))
    if two_classes:
        fpr, tpr, _ = roc_curve(y_true, y_score)
        ax.plot(fpr, tpr, label=f'AUC = {summary["AUC"]:.3f}')
    ax.plot([0, 1], [0, 1], ls='--', c='grey', lw=0.8, label='chance')
    ax.plot(fpr_at_half, recall, 'o', c='red', label='p > 0.5')
    ax.set(xlabel='1 - specificity', ylabel='sensitivity', xlim=(0, 1), ylim=(0, 1.02),
           title=f'ROC, positive = {positive} (n = {y_true.size})')
    ax.legend(loc='lower right')
    roc_path = _save(fig, osp.join(out_dir, 'roc.png'))

    fig, ax = plt.subplots(figsize=(5, 5))
    if two_classes:
        curve_precision, curve_recall, _ = precision_recall_curve(y_true, y_score)
        ax.step(curve_recall, curve_precision, where='post', label=f'AP = {summary["AP"]:.3f}')
    ax.plot(recall, precision, 'o', c='red', label='p > 0.5')
    ax.set(xlabel='recall (sensitivity)', ylabel='precision', xlim=(0, 1), ylim=(0, 1.02),
           title=f'Precision-recall, positive = {positive}')
    ax.legend(loc='lower left')
    return [roc_path, _save(fig, osp.join(out_dir, 'pr.png'))]


def plot_ja_histogram(ja: np.ndarray, out_dir: str) -> str:
    """Write ja_hist.png: per-image JA with the ISIC 2018 threshold."""
    ja = ja[~np.isnan(ja)]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(ja, bins=np.linspace(0, 1, 21), color='tab:blue', edgecolor='white')
    ax.axvline(TJA_THRESHOLD, c='red', ls='--', label=f'TJA threshold {TJA_THRESHOLD}')
    ax.set(xlabel='Jaccard index per image', ylabel='images',
           title=f'JA: mean {ja.mean():.3f}, thresholded {threshold_jaccard(ja).mean():.3f}'
           if ja.size else 'JA: no image')
    ax.legend()
    return _save(fig, osp.join(out_dir, 'ja_hist.png'))


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        data = read_lesion_csv(args.results, REQUIRED_COLUMNS)
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
            paths += plot_roc_pr(data['gt_label'][labelled].astype(int), p_malignant, args.out,
                                 args.positive)
        paths.append(plot_ja_histogram(data['JA'], args.out))
    except ValueError as error:  # ISICFileError included
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
