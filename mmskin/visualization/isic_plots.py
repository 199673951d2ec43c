"""Figures of a test run's per-image results: ROC and precision-recall
curves, the per-image JA histogram and the reliability diagram of
``p_malignant``.

Each function returns a matplotlib ``Figure`` built without pyplot (no
global state, no display); :func:`figure_png` and :func:`save_figure`
turn it into PNG bytes or a file.
"""
import io
import math
from typing import Optional, Tuple

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from sklearn.metrics import precision_recall_curve, roc_curve

from mmskin.evaluation.functional import (TJA_THRESHOLD, classification_summary,
                                          decision_counts, positive_class_scores,
                                          threshold_jaccard)
from mmskin.evaluation.statistics import (brier_score, expected_calibration_error,
                                          reliability_bins)
from mmskin.utils import write_bytes_atomic

_DPI = 120


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=_DPI, bbox_inches='tight')
    return buffer.getvalue()


def save_figure(fig: Figure, path: str) -> str:
    """Write the figure to ``path`` (PNG, atomically) and return the path."""
    write_bytes_atomic(path, figure_png(fig))
    return path


def _operating_point(y_true: np.ndarray, y_score: np.ndarray,
                     threshold: float) -> Tuple[float, float, float]:
    """Recall, false positive rate and precision of ``score > threshold``."""
    tp, fp, fn, tn = decision_counts(y_true, y_score, threshold)
    recall = tp / max(tp + fn, 1)
    fpr = fp / max(fp + tn, 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    return recall, fpr, precision


def _interval_text(interval: Optional[Tuple[float, float]]) -> str:
    return f' [{interval[0]:.3f}, {interval[1]:.3f}]' if interval else ''


def roc_figure(gt_labels: ArrayLike, p_malignant: ArrayLike, positive: str = 'malignant',
               threshold: float = 0.5,
               auc_interval: Optional[Tuple[float, float]] = None) -> Figure:
    """The ROC curve (AUC and its interval in the legend, the operating
    point ``score > threshold`` marked); the chance line alone when only one
    class is present."""
    summary = classification_summary(gt_labels, p_malignant, positive=positive,
                                     threshold=threshold, sensitivities=())
    y_true, y_score = positive_class_scores(gt_labels, p_malignant, positive)
    recall, fpr_at_threshold, _ = _operating_point(y_true, y_score, threshold)
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    if not math.isnan(summary['AUC']):
        fpr, tpr, _ = roc_curve(y_true, y_score)
        ax.plot(fpr, tpr, label=f'AUC = {summary["AUC"]:.3f}{_interval_text(auc_interval)}')
    ax.plot([0, 1], [0, 1], ls='--', c='grey', lw=0.8, label='chance')
    ax.plot(fpr_at_threshold, recall, 'o', c='red', label=f'p > {threshold:g}')
    ax.set(xlabel='1 - specificity', ylabel='sensitivity', xlim=(0, 1), ylim=(0, 1.02),
           title=f'ROC, positive = {positive} (n = {y_true.size})')
    ax.legend(loc='lower right')
    return fig


def pr_figure(gt_labels: ArrayLike, p_malignant: ArrayLike, positive: str = 'malignant',
              threshold: float = 0.5,
              ap_interval: Optional[Tuple[float, float]] = None) -> Figure:
    """The precision-recall curve (AP and its interval in the legend, the
    operating point marked)."""
    summary = classification_summary(gt_labels, p_malignant, positive=positive,
                                     threshold=threshold, sensitivities=())
    y_true, y_score = positive_class_scores(gt_labels, p_malignant, positive)
    recall, _, precision = _operating_point(y_true, y_score, threshold)
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    if not math.isnan(summary['AP']):
        curve_precision, curve_recall, _ = precision_recall_curve(y_true, y_score)
        ax.step(curve_recall, curve_precision, where='post',
                label=f'AP = {summary["AP"]:.3f}{_interval_text(ap_interval)}')
    ax.plot(recall, precision, 'o', c='red', label=f'p > {threshold:g}')
    ax.set(xlabel='recall (sensitivity)', ylabel='precision', xlim=(0, 1), ylim=(0, 1.02),
           title=f'Precision-recall, positive = {positive}')
    ax.legend(loc='lower left')
    return fig


def ja_histogram_figure(ja: ArrayLike, tja_threshold: float = TJA_THRESHOLD) -> Figure:
    """Per-image JA in 20 bins, the TJA threshold marked; excluded (NaN)
    images are left out."""
    ja = np.asarray(ja, dtype=np.float64)
    ja = ja[~np.isnan(ja)]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.hist(ja, bins=np.linspace(0, 1, 21), color='tab:blue', edgecolor='white')
    ax.axvline(tja_threshold, c='red', ls='--', label=f'TJA threshold {tja_threshold:g}')
    ax.set(xlabel='Jaccard index per image', ylabel='images',
           title=f'JA: mean {ja.mean():.3f}, thresholded '
           f'{threshold_jaccard(ja, tja_threshold).mean():.3f}' if ja.size else 'JA: no image')
    ax.legend()
    return fig


def reliability_figure(gt_labels: ArrayLike, p_malignant: ArrayLike, n_bins: int = 10) -> Figure:
    """Reliability diagram of ``p_malignant``: observed fraction of malignant
    lesions per probability bin against the diagonal, with the bin sizes
    below, the expected calibration error and the Brier score in the title."""
    is_malignant = np.asarray(gt_labels) == 1
    p_malignant = np.asarray(p_malignant, dtype=np.float64)
    bins = reliability_bins(is_malignant, p_malignant, n_bins)
    centres = (bins['edges'][:-1] + bins['edges'][1:]) / 2
    width = bins['edges'][1] - bins['edges'][0]
    fig = Figure(figsize=(5, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw=dict(height_ratios=(3, 1)))
    used = bins['count'] > 0
    top.bar(centres[used], bins['observed_frequency'][used], width=width * 0.9,
            color='tab:blue', edgecolor='white', label='observed')
    top.plot(bins['mean_probability'][used], bins['observed_frequency'][used], 'o', c='k',
             ms=3, label='bin mean p')
    top.plot([0, 1], [0, 1], ls='--', c='grey', lw=0.8, label='perfect calibration')
    top.set(ylabel='fraction malignant', xlim=(0, 1), ylim=(0, 1.02),
            title=f'ECE {expected_calibration_error(is_malignant, p_malignant, n_bins):.3f}, '
            f'Brier {brier_score(is_malignant, p_malignant):.3f}')
    top.legend(loc='upper left')
    bottom.bar(centres, bins['count'], width=width * 0.9, color='grey')
    bottom.set(xlabel='p(malignant)', ylabel='lesions')
    return fig
