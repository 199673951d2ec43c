"""ISIC challenge metrics as plain numpy functions (paper III-C, Eq. (7)).

Everything here follows the official scorer, ImageMarkup/isic-challenge-scoring:

* Segmentation (ISIC 2017 Part 1, ISIC 2018 Task 1): the pixel confusion
  counts of each image give that image's JA = TP/(TP+FP+FN),
  DI = 2TP/(2TP+FP+FN), AC = (TP+TN)/N, SE = TP/(TP+FN) and SP = TN/(TN+FP);
  the reported value is the plain mean over images, never a pooled pixel
  count. Thresholded JA (2018 overall score) is JA when JA >= 0.65, else 0.
* Empty denominators (e.g. SE of an image whose ground truth is empty):
  ``empty_rule='one'`` scores 1.0 as today's scorer does;
  ``empty_rule='exclude'`` leaves that image out of that metric's mean as
  the 2016/2017 challenge platform did.
* Classification (ISBI 2016 / ISIC 2017 Part 3): a case is called positive
  iff its probability is > 0.5 (strict); AUC is sklearn's
  ``roc_auc_score`` and AP sklearn's ``average_precision_score`` (a step
  sum; the 2016/2017 challenges ran an older sklearn whose AP was a
  trapezoid area, slightly lower). Specificity at a given sensitivity is
  read off sklearn's ROC curve as the 2016/2017 scorer did, see
  :func:`specificity_at_sensitivity`.

The positive class is malignant by default (clinical convention);
``positive='benign'`` reproduces the paper's III-C convention, where a
correctly classified benign lesion is a true positive.
"""
import logging
from typing import Dict, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from mmskin.utils import ISIC_CLASSES

#: Conventions for a metric whose denominator is zero on an image.
EMPTY_RULES = ('one', 'exclude')
#: Per-image segmentation metrics, in the order the ISIC 2017 leaderboard lists them.
SEG_METRICS = ('JA', 'DI', 'AC', 'SE', 'SP')
#: Segmentation scores of a set of images: the per-image metrics' means and
#: the thresholded JA of ISIC 2018.
SEG_SCORES = SEG_METRICS + ('TJA', )
#: Classification scores of a set of images (ISIC 2016-2017 Part 3).
CLS_METRICS = ('AC', 'AUC', 'AP', 'SE', 'SP')
#: ISIC 2018 threshold below which an image's JA counts as 0.
TJA_THRESHOLD = 0.65
#: Sensitivities at which ISBI 2016 reported specificity (ISIC 2017: 0.82, 0.89, 0.95).
ISBI2016_SENSITIVITIES = (0.95, 0.98, 0.99)

_MALIGNANT = ISIC_CLASSES.index('malignant')


def _check_empty_rule(empty_rule: str) -> None:
    if empty_rule not in EMPTY_RULES:
        raise ValueError(f'empty_rule must be one of {EMPTY_RULES}, got {empty_rule!r}')


def _ratio(numerator: np.ndarray, denominator: np.ndarray, empty_rule: str) -> np.ndarray:
    """Element-wise ``numerator / denominator`` with the ISIC empty rule."""
    fill = 1.0 if empty_rule == 'one' else np.nan
    out = np.full(np.shape(denominator), fill, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _mean(values: np.ndarray) -> float:
    """Mean over the images that have a value (NaN marks an excluded image)."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float('nan')


def confusion_counts(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Pixel confusion counts of one image.

    Args:
        pred: predicted lesion mask (H, W); non-zero is lesion.
        gt: ground-truth lesion mask (H, W); non-zero is lesion.

    Returns:
        int64 array ``[TP, FP, FN, TN]``.
    """
    if pred.shape != gt.shape:
        raise ValueError(f'prediction mask has shape {pred.shape} but the ground truth has '
                         f'{gt.shape}; both must be at the original image resolution')
    pred = pred.astype(bool, copy=False)
    gt = gt.astype(bool, copy=False)
    tp = np.count_nonzero(pred & gt)
    fp = np.count_nonzero(pred) - tp
    fn = np.count_nonzero(gt) - tp
    tn = pred.size - tp - fp - fn
    return np.array([tp, fp, fn, tn], dtype=np.int64)


def per_image_scores(counts: ArrayLike, empty_rule: str = 'one') -> Dict[str, np.ndarray]:
    """JA, DI, AC, SE, SP of each image (paper Eq. (7)).

    Args:
        counts: ``[TP, FP, FN, TN]`` of one image (4,) or of N images (N, 4).
        empty_rule: ``'one'`` scores an empty denominator 1.0 (current
            official scorer); ``'exclude'`` gives NaN, which the means in
            :func:`segmentation_summary` skip (2016/2017 platform).

    Returns:
        dict metric name -> float64 array (N,) (shape () for one image).
    """
    _check_empty_rule(empty_rule)
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape[-1:] != (4, ):
        raise ValueError(f'counts must have shape (4,) or (N, 4), got {counts.shape}')
    tp, fp, fn, tn = np.moveaxis(counts, -1, 0)
    return {
        'JA': _ratio(tp, tp + fp + fn, empty_rule),
        'DI': _ratio(2 * tp, 2 * tp + fp + fn, empty_rule),
        'AC': _ratio(tp + tn, tp + fp + fn + tn, empty_rule),
        'SE': _ratio(tp, tp + fn, empty_rule),
        'SP': _ratio(tn, tn + fp, empty_rule),
    }


def threshold_jaccard(ja: ArrayLike, threshold: float = TJA_THRESHOLD) -> np.ndarray:
    """ISIC 2018 thresholded JA per image: JA if JA >= threshold, else 0.

    An excluded image (NaN) stays excluded.
    """
    ja = np.asarray(ja, dtype=np.float64)
    return np.where(np.isnan(ja) | (ja >= threshold), ja, 0.0)


def segmentation_summary(counts: ArrayLike,
                         empty_rule: str = 'one',
                         tja_threshold: float = TJA_THRESHOLD) -> Dict[str, float]:
    """Dataset-level ISIC segmentation scores: means over images.

    Args:
        counts: (N, 4) ``[TP, FP, FN, TN]`` per image.
        empty_rule: see :func:`per_image_scores`.
        tja_threshold: see :func:`threshold_jaccard`.

    Returns:
        ``JA, DI, AC, SE, SP, TJA`` (means) and ``JA_median``; NaN when no
        image has a value.
    """
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, 4)
    return summarize_image_scores(per_image_scores(counts, empty_rule), tja_threshold)


def summarize_image_scores(scores: Dict[str, ArrayLike],
                           tja_threshold: float = TJA_THRESHOLD) -> Dict[str, float]:
    """Dataset-level ISIC segmentation scores from per-image ones.

    Args:
        scores: per-image ``JA, DI, AC, SE, SP`` (N,), as
            :func:`per_image_scores` returns them or ``per_image.csv`` holds
            them; NaN marks an image excluded from that metric.
        tja_threshold: see :func:`threshold_jaccard`.

    Returns:
        See :func:`segmentation_summary`.
    """
    scores = {name: np.asarray(scores[name], dtype=np.float64) for name in SEG_METRICS}
    scores['TJA'] = threshold_jaccard(scores['JA'], tja_threshold)
    summary = {name: _mean(values) for name, values in scores.items()}
    ja = scores['JA'][~np.isnan(scores['JA'])]
    summary['JA_median'] = float(np.median(ja)) if ja.size else float('nan')
    return summary


def positive_class_scores(gt_labels: ArrayLike, p_malignant: ArrayLike,
                          positive: str = 'malignant') -> Tuple[np.ndarray, np.ndarray]:
    """Binary targets and scores for the chosen positive class.

    Args:
        gt_labels: (N,) labels in ``ISIC_CLASSES`` order (0 benign, 1 malignant).
        p_malignant: (N,) probabilities of malignancy in [0, 1].
        positive: ``'malignant'`` or ``'benign'``; for benign the scores are
            flipped, ``p_benign = 1 - p_malignant``.

    Returns:
        ``(y_true, y_score)``: bool (N,) and float64 (N,).
    """
    if positive not in ISIC_CLASSES:
        raise ValueError(f'positive must be one of {ISIC_CLASSES}, got {positive!r}')
    gt_labels = np.asarray(gt_labels)
    p_malignant = np.asarray(p_malignant, dtype=np.float64)
    if gt_labels.shape != p_malignant.shape or gt_labels.ndim != 1:
        raise ValueError(f'gt_labels {gt_labels.shape} and p_malignant {p_malignant.shape} '
                         'must be 1-D arrays of the same length')
    if not np.isin(gt_labels, (0, 1)).all():
        raise ValueError(f'gt_labels must be 0 (benign) or 1 (malignant), got values '
                         f'{sorted(set(gt_labels.tolist()) - {0, 1})}')
    if not (np.isfinite(p_malignant).all() and (p_malignant >= 0).all()
            and (p_malignant <= 1).all()):
        raise ValueError('p_malignant must be probabilities in [0, 1]')
    is_malignant = gt_labels == _MALIGNANT
    if positive == 'malignant':
        return is_malignant, p_malignant
    return ~is_malignant, 1.0 - p_malignant


def decision_counts(y_true: ArrayLike, y_score: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Confusion counts of the decisions ``score > threshold`` (the ISIC rule).

    Returns:
        int64 array ``[TP, FP, FN, TN]``, as :func:`confusion_counts`.
    """
    return confusion_counts(np.asarray(y_score) > threshold, np.asarray(y_true, dtype=bool))


def specificity_at_sensitivity(y_true: ArrayLike, y_score: ArrayLike,
                               sensitivity: float) -> float:
    """Specificity at a given sensitivity, as the ISBI 2016 / ISIC 2017 scorer.

    Walks sklearn's ROC curve (``roc_curve`` with its defaults) from the
    strictest threshold and takes the first point whose true positive rate
    is >= ``sensitivity``; the result is 1 - its false positive rate, with no
    interpolation between points; 0.0 if no point reaches it, as the
    scorer (only a sensitivity above 1 can do that). NaN if only one class
    is present.
    """
    y_true = np.asarray(y_true, dtype=bool)
    if y_true.all() or not y_true.any():
        return float('nan')
    fpr, tpr, _ = roc_curve(y_true, y_score)
    reached = np.flatnonzero(tpr >= sensitivity)
    return float(1.0 - fpr[reached[0]]) if reached.size else 0.0


def sensitivity_key(sensitivity: float) -> str:
    """Metric name of the specificity at ``sensitivity``: 0.95 -> 'SP_at_SE95'."""
    return 'SP_at_SE' + f'{sensitivity * 100:g}'.replace('.', '_')


def classification_summary(gt_labels: ArrayLike,
                           p_malignant: ArrayLike,
                           positive: str = 'malignant',
                           threshold: float = 0.5,
                           sensitivities: Sequence[float] = ISBI2016_SENSITIVITIES,
                           empty_rule: str = 'one') -> Dict[str, float]:
    """ISIC classification scores of a set of lesions.

    Args:
        gt_labels: (N,) ground-truth labels, 0 benign / 1 malignant.
        p_malignant: (N,) predicted probabilities of malignancy.
        positive: the positive class, see :func:`positive_class_scores`.
        threshold: a case is called positive iff its score > threshold.
        sensitivities: report ``SP_at_SE<100*s>`` for each.
        empty_rule: SE (SP) when no case is positive (negative); see
            :func:`per_image_scores`.

    Returns:
        ``AC, AUC, AP, SE, SP`` and one ``SP_at_SE..`` per sensitivity.
        AUC, AP and the specificities are NaN (with a logged warning) when
        only one class is present.
    """
    _check_empty_rule(empty_rule)
    y_true, y_score = positive_class_scores(gt_labels, p_malignant, positive)
    if y_true.size == 0:
        raise ValueError('no lesions to score')
    scores = per_image_scores(decision_counts(y_true, y_score, threshold), empty_rule)
    summary = {'AC': float(scores['AC'])}
    if y_true.all() or not y_true.any():
        print_log(
            f'only one class ({"positive" if y_true.any() else "negative"}, '
            f'positive={positive!r}) among {y_true.size} lesions: AUC, AP and '
            'specificity at sensitivity are undefined and reported as NaN',
            logger='current',
            level=logging.WARNING)
        summary['AUC'] = summary['AP'] = float('nan')
    else:
        summary['AUC'] = float(roc_auc_score(y_true, y_score))
        summary['AP'] = float(average_precision_score(y_true, y_score))
    summary['SE'] = float(scores['SE'])
    summary['SP'] = float(scores['SP'])
    for sensitivity in sensitivities:
        summary[sensitivity_key(sensitivity)] = specificity_at_sensitivity(
            y_true, y_score, sensitivity)
    return summary
