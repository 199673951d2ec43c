"""Paired comparison of two test runs on the same images.

Two models scored on the same test set make paired measurements: the
difference of their means varies much less than either mean, because the
hard images are hard for both. The comparison is therefore image by image:

* JA, DI and TJA: mean difference ``B - A`` with a paired percentile
  bootstrap interval (the same resampled images for both runs) and the
  Wilcoxon signed-rank p-value;
* AUC: DeLong's test for two correlated ROC curves;
* AC at the classification threshold: the bootstrap interval of the
  difference and McNemar's exact test of the images only one run gets right.

Runs are read with :func:`~.lesion_record.read_per_image`.
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmskin.evaluation.functional import positive_class_scores, threshold_jaccard
from mmskin.evaluation.statistics import (CONFIDENCE, N_RESAMPLES, Interval,
                                          bootstrap_mean_interval, delong_test, mcnemar_exact,
                                          paired_differences, wilcoxon_signed_rank)
from mmskin.utils import ISICFileError

#: Per-image segmentation scores compared (TJA is derived from JA).
COMPARED_SEG_METRICS = ('JA', 'DI', 'TJA')

PerImage = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class PairedScore:
    """One metric of runs A and B on the same images; ``difference = B - A``."""

    metric: str
    a: float
    b: float
    difference: float
    interval: Interval
    p_value: float
    test: str
    n: int
    note: str = ''


def _preview(ids: Sequence[str], limit: int = 5) -> str:
    shown = ', '.join(ids[:limit])
    return shown + (f', ... ({len(ids)} in all)' if len(ids) > limit else '')


def pair_runs(run_a: PerImage, run_b: PerImage, path_a: str, path_b: str,
              common_only: bool = False) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    """Both runs restricted to the images both scored, in A's order.

    Raises:
        ISICFileError: the runs scored different images (unless
            ``common_only``: then only no common image is an error), or an
            image has different ground-truth labels in the two runs.
    """
    ids_a, ids_b = list(run_a['image_id']), list(run_b['image_id'])
    only_a = sorted(set(ids_a) - set(ids_b))
    only_b = sorted(set(ids_b) - set(ids_a))
    if len(only_a) == len(ids_a):
        raise ISICFileError(path_b, f'no image in common with {path_a}; the runs were scored '
                            'on different test sets')
    if (only_a or only_b) and not common_only:
        raise ISICFileError(
            path_b, f'scored on other images than {path_a} ({len(only_a)} only in A: '
            f'{_preview(only_a) or "-"}; {len(only_b)} only in B: {_preview(only_b) or "-"}); '
            'pass --common-only to compare the images both scored')
    position_b = {image_id: i for i, image_id in enumerate(ids_b)}
    keep_a = np.array([i for i, image_id in enumerate(ids_a) if image_id in position_b])
    keep_b = np.array([position_b[ids_a[i]] for i in keep_a])
    paired_a = {name: np.asarray(values)[keep_a] for name, values in run_a.items()}
    paired_b = {name: np.asarray(values)[keep_b] for name, values in run_b.items()}
    differ = paired_a['gt_label'] != paired_b['gt_label']
    if differ.any():
        ids = paired_a['image_id'][differ].tolist()
        raise ISICFileError(path_b, f'ground-truth labels differ from {path_a} on '
                            f'{len(ids)} images ({_preview(ids)}); the runs were scored on '
                            'different ground truth')
    return paired_a, paired_b


def _compare_segmentation(a: PerImage, b: PerImage, n_resamples: int, confidence: float,
                          seed: int) -> List[PairedScore]:
    rows = []
    for metric in COMPARED_SEG_METRICS:
        source = 'JA' if metric == 'TJA' else metric
        values_a, values_b = np.asarray(a[source], float), np.asarray(b[source], float)
        if metric == 'TJA':
            values_a, values_b = threshold_jaccard(values_a), threshold_jaccard(values_b)
        difference = paired_differences(values_a, values_b)
        both = ~np.isnan(difference)
        rows.append(
            PairedScore(metric, float(values_a[both].mean()), float(values_b[both].mean()),
                        float(difference[both].mean()),
                        bootstrap_mean_interval(difference, n_resamples, confidence, seed),
                        wilcoxon_signed_rank(values_a, values_b), 'Wilcoxon signed-rank',
                        int(both.sum())))
    return rows


def _compare_classification(a: PerImage, b: PerImage, threshold: float, n_resamples: int,
                            confidence: float, seed: int) -> Tuple[List[PairedScore], str]:
    """AUC and AC rows, or none and the reason."""
    labelled = a['gt_label'] >= 0
    p_a, p_b = a['p_malignant'][labelled], b['p_malignant'][labelled]
    if not labelled.any():
        return [], 'no image has a ground-truth label'
    if np.isnan(p_a).any() or np.isnan(p_b).any():
        return [], 'p_malignant is NaN in a run (a model without benign / malignant classes)'
    y_true, score_a = positive_class_scores(a['gt_label'][labelled], p_a)
    _, score_b = positive_class_scores(b['gt_label'][labelled], p_b)
    rows = []
    if min(y_true.sum(), (~y_true).sum()) >= 2:
        delong = delong_test(y_true, score_a, score_b, confidence)
        rows.append(
            PairedScore('AUC', delong.auc_a, delong.auc_b, delong.difference, delong.interval,
                        delong.p_value, 'DeLong', int(y_true.size)))
    correct_a = (score_a > threshold) == y_true
    correct_b = (score_b > threshold) == y_true
    mcnemar = mcnemar_exact(correct_a, correct_b)
    rows.append(
        PairedScore('AC', float(correct_a.mean()), float(correct_b.mean()),
                    float(correct_b.mean() - correct_a.mean()),
                    bootstrap_mean_interval(
                        paired_differences(correct_a, correct_b), n_resamples, confidence, seed),
                    mcnemar.p_value, 'McNemar exact', int(y_true.size),
                    f'{mcnemar.only_a_correct} only A right, '
                    f'{mcnemar.only_b_correct} only B right'))
    return rows, ''


@dataclass(frozen=True)
class RunComparison:
    """The paired scores of two runs and why classification is missing, if it is."""

    n_images: int
    scores: List[PairedScore]
    classification_skipped: Optional[str] = None


def compare_runs(run_a: PerImage, run_b: PerImage, threshold: float = 0.5,
                 n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE,
                 seed: int = 0) -> RunComparison:
    """Compare two runs already paired by :func:`pair_runs`."""
    rows = _compare_segmentation(run_a, run_b, n_resamples, confidence, seed)
    cls_rows, skipped = _compare_classification(run_a, run_b, threshold, n_resamples,
                                                confidence, seed)
    return RunComparison(len(run_a['image_id']), rows + cls_rows, skipped or None)
