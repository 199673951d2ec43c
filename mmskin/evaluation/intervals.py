"""95% intervals of the ISIC scores of :mod:`.functional` over a test set.

* Segmentation (JA, DI, AC, SE, SP, TJA): percentile bootstrap over images
  of the mean per-image score (:mod:`.statistics`); an image excluded from a
  metric (NaN, ``empty_rule='exclude'``) stays excluded in every resample.
* Classification AC, SE, SP (at the threshold) and AP: the same bootstrap,
  resampling lesions; a resample on which a score is undefined (no positive
  case for SE and AP, no negative one for SP) is left out of its interval.
* AUC: DeLong's interval, AUC +- 1.96 x its DeLong standard error, clipped
  to [0, 1].

Every bootstrap is seeded (``seed``), so an interval repeats exactly.
"""
from typing import Dict, Mapping, Optional

import numpy as np
from numpy.typing import ArrayLike

from .functional import (SEG_METRICS, SEG_SCORES, TJA_THRESHOLD, confusion_counts, per_image_scores,
                         positive_class_scores, threshold_jaccard)
from .statistics import (CONFIDENCE, N_RESAMPLES, Interval, bootstrap, delong_interval,
                         percentile_interval, weighted_means)

#: Classification scores that get a bootstrap interval; AUC gets DeLong's.
CLS_BOOTSTRAP_METRICS = ('AC', 'SE', 'SP', 'AP')
#: Values of the tools' ``--ci`` option.
CI_METHODS = ('bootstrap', 'none')


def add_thresholded_jaccard(scores: Mapping[str, np.ndarray],
                            tja_threshold: float = TJA_THRESHOLD) -> Dict[str, np.ndarray]:
    """Per-image scores with the thresholded JA added as ``'TJA'``."""
    scores = {name: np.asarray(scores[name], dtype=np.float64) for name in SEG_METRICS}
    scores['TJA'] = threshold_jaccard(scores['JA'], tja_threshold)
    return scores


def segmentation_intervals(scores: Mapping[str, ArrayLike],
                           tja_threshold: float = TJA_THRESHOLD,
                           n_resamples: int = N_RESAMPLES,
                           confidence: float = CONFIDENCE,
                           seed: int = 0) -> Dict[str, Interval]:
    """Bootstrap intervals of the mean JA, DI, AC, SE, SP and TJA.

    Args:
        scores: per-image ``JA, DI, AC, SE, SP`` arrays (N,), as
            :func:`~.functional.per_image_scores` returns them or
            ``per_image.csv`` holds them; NaN marks an excluded image.
        tja_threshold: see :func:`~.functional.threshold_jaccard`.
        n_resamples, confidence, seed: of the bootstrap.

    Returns:
        metric name -> ``(lo, hi)``.
    """
    scores = add_thresholded_jaccard(scores, tja_threshold)
    table = np.stack([scores[name] for name in SEG_SCORES], axis=1)
    replicates = bootstrap(
        lambda w: np.stack([weighted_means(w, column) for column in table.T], axis=1),
        table.shape[0], n_resamples, seed)
    return {
        name: percentile_interval(replicates[:, k], confidence)
        for k, name in enumerate(SEG_SCORES)
    }


def weighted_average_precision(weights: np.ndarray, y_true: ArrayLike,
                               y_score: ArrayLike) -> np.ndarray:
    """sklearn's ``average_precision_score`` under each row of case weights.

    AP = sum over the distinct score thresholds, from the highest, of
    (R_k - R_k-1) x P_k; a weight is the number of copies of a case in a
    bootstrap resample. NaN for a row without a positive case.

    Args:
        weights: (b, N) non-negative case weights.
        y_true: (N,) bool.
        y_score: (N,) scores.
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_score = np.asarray(y_score, dtype=np.float64)
    order = np.argsort(-y_score, kind='stable')
    sorted_scores = y_score[order]
    # The last case of each group of tied scores closes a threshold.
    closes = np.r_[np.flatnonzero(np.diff(sorted_scores)), y_score.size - 1]
    w = weights[:, order]
    true_positives = np.cumsum(w * y_true[order], axis=1)[:, closes]
    called = np.cumsum(w, axis=1)[:, closes]
    precision = np.zeros_like(called)
    np.divide(true_positives, called, out=precision, where=called > 0)
    positives = true_positives[:, -1:]
    recall = np.zeros_like(true_positives)
    np.divide(true_positives, positives, out=recall, where=positives > 0)
    steps = np.diff(recall, axis=1, prepend=0.0)
    return np.where(positives[:, 0] > 0, (steps * precision).sum(axis=1), np.nan)


def classification_intervals(gt_labels: ArrayLike,
                             p_malignant: ArrayLike,
                             positive: str = 'malignant',
                             threshold: float = 0.5,
                             n_resamples: int = N_RESAMPLES,
                             confidence: float = CONFIDENCE,
                             seed: int = 0) -> Dict[str, Interval]:
    """Intervals of AC, SE, SP, AP (bootstrap) and AUC (DeLong).

    Args:
        gt_labels, p_malignant, positive, threshold: as
            :func:`~.functional.classification_summary` takes them.
        n_resamples, confidence, seed: of the bootstrap.

    Returns:
        metric name -> ``(lo, hi)``; AUC and AP are ``(nan, nan)`` when a
        class has fewer than two cases.
    """
    y_true, y_score = positive_class_scores(gt_labels, p_malignant, positive)
    y_pred = y_score > threshold
    # One row [TP, FP, FN, TN] per case: a resample's counts are weights @ it.
    case_counts = np.stack([
        confusion_counts(y_pred[i:i + 1], y_true[i:i + 1]) for i in range(y_true.size)
    ]).astype(np.float64)

    def statistic(weights: np.ndarray) -> np.ndarray:
        rates = per_image_scores(weights @ case_counts, empty_rule='exclude')
        ap = weighted_average_precision(weights, y_true, y_score)
        return np.stack([rates['AC'], rates['SE'], rates['SP'], ap], axis=1)

    replicates = bootstrap(statistic, y_true.size, n_resamples, seed)
    intervals = {
        name: percentile_interval(replicates[:, k], confidence)
        for k, name in enumerate(CLS_BOOTSTRAP_METRICS)
    }
    if min(y_true.sum(), (~y_true).sum()) < 2:
        intervals['AUC'] = intervals['AP'] = (float('nan'), float('nan'))
    else:
        intervals['AUC'] = delong_interval(y_true, y_score, confidence)[2]
    return intervals


def with_interval_keys(summary: Mapping[str, float],
                       intervals: Optional[Mapping[str, Interval]]) -> Dict[str, float]:
    """``summary`` with ``<name>_lo`` / ``<name>_hi`` after each metric that
    has an interval (the ``--json`` and mmengine metric keys)."""
    out: Dict[str, float] = {}
    for name, value in summary.items():
        out[name] = value
        if intervals and name in intervals:
            out[f'{name}_lo'], out[f'{name}_hi'] = intervals[name]
    return out


def format_interval(interval: Optional[Interval], digits: int = 4) -> str:
    """``'[0.7712, 0.8204]'``; empty for no interval, ``'[nan, nan]'`` kept
    for an undefined one."""
    if interval is None:
        return ''
    return f'[{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]'
