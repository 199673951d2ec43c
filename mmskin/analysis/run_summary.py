"""The scores of a test run, with intervals, from its per-image results.

``tools/test.py --isic-out DIR`` writes ``DIR/per_image.csv``; the report
and the paper tables read it back with
:func:`~.lesion_record.read_per_image` and summarise it here, with the metric
code of :mod:`.functional` and the intervals of :mod:`.intervals`, so they
show the numbers ``tools/test.py`` printed.
"""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from mmskin.evaluation.functional import (ISBI2016_SENSITIVITIES, SEG_METRICS, TJA_THRESHOLD,
                                          classification_summary, confusion_counts,
                                          positive_class_scores, summarize_image_scores)
from mmskin.evaluation.intervals import classification_intervals, segmentation_intervals
from mmskin.evaluation.statistics import N_RESAMPLES, Interval


@dataclass
class RunSummary:
    """Scores of one run.

    ``confusion`` holds ``[TP, FP, FN, TN]`` of the call ``p_malignant >
    threshold`` with malignant as the positive class; ``classification``
    is empty (and ``classification_skipped`` says why) for a run that
    cannot be scored for classification.
    """

    n_images: int
    n_undetected: int
    segmentation: Dict[str, float]
    positive: str = 'malignant'
    threshold: float = 0.5
    classification: Dict[str, float] = field(default_factory=dict)
    n_labelled: int = 0
    confusion: Optional[np.ndarray] = None
    intervals: Dict[str, Dict[str, Interval]] = field(
        default_factory=lambda: dict(segmentation={}, classification={}))
    classification_skipped: Optional[str] = None


def classifiable(per_image: Mapping[str, np.ndarray]) -> Optional[str]:
    """Why the run's classification cannot be scored, or None if it can."""
    labelled = per_image['gt_label'] >= 0
    if not labelled.any():
        return 'no image has a ground-truth label'
    if np.isnan(per_image['p_malignant'][labelled]).any():
        return 'p_malignant is NaN (a model without benign / malignant classes)'
    return None


def summarize_run(per_image: Mapping[str, np.ndarray],
                  positive: str = 'malignant',
                  threshold: float = 0.5,
                  tja_threshold: float = TJA_THRESHOLD,
                  sensitivities: Sequence[float] = ISBI2016_SENSITIVITIES,
                  n_resamples: int = N_RESAMPLES,
                  seed: int = 0) -> RunSummary:
    """Scores and 95% intervals of a run's per-image results.

    Args:
        per_image: columns of ``per_image.csv`` (``read_per_image``).
        positive, threshold, sensitivities: of the classification scores.
        tja_threshold: of the thresholded JA.
        n_resamples: bootstrap resamples of the intervals; 0: no intervals.
        seed: of the bootstrap.
    """
    scores = {name: per_image[name] for name in SEG_METRICS}
    summary = RunSummary(
        n_images=len(per_image['image_id']),
        n_undetected=int(np.count_nonzero(per_image['detected'] == 0)),
        segmentation=summarize_image_scores(scores, tja_threshold),
        positive=positive,
        threshold=threshold)
    if n_resamples:
        summary.intervals['segmentation'] = segmentation_intervals(
            scores, tja_threshold, n_resamples, seed=seed)
    summary.classification_skipped = classifiable(per_image)
    if summary.classification_skipped:
        return summary
    labelled = per_image['gt_label'] >= 0
    gt_labels, p_malignant = per_image['gt_label'][labelled], per_image['p_malignant'][labelled]
    summary.n_labelled = int(labelled.sum())
    summary.classification = classification_summary(
        gt_labels, p_malignant, positive=positive, threshold=threshold,
        sensitivities=sensitivities)
    is_malignant, score = positive_class_scores(gt_labels, p_malignant)
    summary.confusion = confusion_counts(score > threshold, is_malignant)
    if n_resamples:
        summary.intervals['classification'] = classification_intervals(
            gt_labels, p_malignant, positive, threshold, n_resamples, seed=seed)
    return summary
