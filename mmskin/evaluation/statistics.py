"""Sampling error of ISIC scores and paired comparison of two runs.

A test set of 600 (ISIC 2017) or 379 (ISBI 2016) images measures a mean JA
or an AUC with an error of about 0.01-0.03, as large as many differences
between rows of the paper's tables. This module gives the intervals and
tests that say whether a difference is larger than that error:

* percentile bootstrap over images (Efron & Tibshirani 1993, ch. 13): each
  resample draws N images with replacement; a resample is represented by
  its weights, the number of times each image was drawn, so a mean over a
  resample is a matrix product;
* DeLong's variance of the AUC and its test for two correlated ROC curves
  (DeLong, DeLong & Clarke-Pearson, Biometrics 1988), computed with the
  midranks of Sun & Xu (IEEE Signal Processing Letters 2014);
* the Wilcoxon signed-rank test of paired per-image scores and McNemar's
  exact test of paired correct / wrong calls (scipy.stats);
* calibration of probabilities: reliability bins, expected calibration
  error and the Brier score.

Pure numpy / scipy: the inputs are arrays, one value per image.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Tuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

#: Default number of bootstrap resamples.
N_RESAMPLES = 2000
#: Default coverage of the intervals.
CONFIDENCE = 0.95

Interval = Tuple[float, float]


def _z(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f'confidence must be in (0, 1), got {confidence}')
    return float(stats.norm.ppf(0.5 + confidence / 2))


def bootstrap_weights(n: int, n_resamples: int = N_RESAMPLES, seed: int = 0,
                      chunk_size: int = 256) -> Iterator[np.ndarray]:
    """Resamples of ``n`` images, ``chunk_size`` at a time.

    Yields float64 arrays (b, n): how many times each image is drawn in each
    resample (each row sums to ``n``). The sequence depends only on ``n``,
    ``n_resamples`` and ``seed``.
    """
    if n < 1 or n_resamples < 1:
        raise ValueError(f'need at least one image and one resample, got n={n}, '
                         f'n_resamples={n_resamples}')
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, chunk_size):
        b = min(chunk_size, n_resamples - start)
        draws = rng.integers(0, n, size=(b, n)) + n * np.arange(b)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


def bootstrap(statistic: Callable[[np.ndarray], np.ndarray], n: int,
              n_resamples: int = N_RESAMPLES, seed: int = 0) -> np.ndarray:
    """Bootstrap replicates of a statistic of ``n`` images.

    Args:
        statistic: maps resample weights (b, n) to the statistic of each
            resample, (b,) or (b, k); NaN marks a resample where it is
            undefined.
        n, n_resamples, seed: see :func:`bootstrap_weights`.

    Returns:
        (n_resamples,) or (n_resamples, k) replicates.
    """
    return np.concatenate([statistic(w) for w in bootstrap_weights(n, n_resamples, seed)])


def percentile_interval(replicates: ArrayLike, confidence: float = CONFIDENCE) -> Interval:
    """The percentile interval of bootstrap replicates; NaN replicates (a
    resample on which the statistic is undefined) are left out. ``(nan,
    nan)`` when none is finite."""
    _z(confidence)
    replicates = np.asarray(replicates, dtype=np.float64)
    replicates = replicates[np.isfinite(replicates)]
    if not replicates.size:
        return float('nan'), float('nan')
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(replicates, [tail, 100 - tail])
    return float(lo), float(hi)


def weighted_means(weights: np.ndarray, values: ArrayLike) -> np.ndarray:
    """Mean of ``values`` under each row of ``weights``; NaN values (images
    excluded from that metric) are skipped, as the ISIC means skip them."""
    values = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(values)
    totals = weights @ np.where(present, values, 0.0)
    counts = weights @ present.astype(np.float64)
    out = np.full(totals.shape, np.nan)
    np.divide(totals, counts, out=out, where=counts > 0)
    return out


def bootstrap_mean_interval(values: ArrayLike, n_resamples: int = N_RESAMPLES,
                            confidence: float = CONFIDENCE, seed: int = 0) -> Interval:
    """Percentile bootstrap interval of the mean over images of ``values``
    (one per image, NaN = excluded image)."""
    values = np.asarray(values, dtype=np.float64)
    replicates = bootstrap(lambda w: weighted_means(w, values), values.size, n_resamples, seed)
    return percentile_interval(replicates, confidence)


def paired_differences(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``b - a`` per image; NaN where either run excludes the image."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f'paired scores must be 1-D of one length, got {a.shape} and {b.shape}')
    return b - a


def wilcoxon_signed_rank(a: ArrayLike, b: ArrayLike) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test of ``b - a``
    (``scipy.stats.wilcoxon``; images where either is NaN and zero
    differences are left out). 1.0 when no image differs."""
    diff = paired_differences(a, b)
    diff = diff[~np.isnan(diff)]
    if not np.count_nonzero(diff):
        return 1.0
    return float(stats.wilcoxon(diff, zero_method='wilcox', alternative='two-sided').pvalue)


@dataclass(frozen=True)
class McNemarResult:
    """Paired correct / wrong calls of two runs on the same cases."""

    only_a_correct: int
    only_b_correct: int
    p_value: float


def mcnemar_exact(correct_a: ArrayLike, correct_b: ArrayLike) -> McNemarResult:
    """McNemar's exact test: under equal accuracy the discordant cases split
    1:1, so their counts are tested with ``scipy.stats.binomtest``."""
    correct_a = np.asarray(correct_a, dtype=bool)
    correct_b = np.asarray(correct_b, dtype=bool)
    if correct_a.shape != correct_b.shape:
        raise ValueError(f'{correct_a.shape} and {correct_b.shape} calls cannot be paired')
    only_a = int(np.count_nonzero(correct_a & ~correct_b))
    only_b = int(np.count_nonzero(~correct_a & correct_b))
    discordant = only_a + only_b
    p_value = stats.binomtest(only_a, discordant, 0.5).pvalue if discordant else 1.0
    return McNemarResult(only_a, only_b, float(p_value))


def delong_covariance(y_true: ArrayLike, scores: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    """AUCs of k scorings of the same cases and DeLong's covariance matrix.

    Fast DeLong (Sun & Xu 2014): with m positive and n negative cases, the
    placement of positive i is V10_i = (#negatives below it + ties / 2) / n,
    computed from midranks as ``(rank among all - rank among positives) /
    n``; that of negative j is V01_j = 1 - (rank among all - rank among
    negatives) / m. AUC = mean V10 and
    ``cov = cov(V10) / m + cov(V01) / n`` (sample covariances, ddof = 1).

    Args:
        y_true: (N,) bool, True for a positive case.
        scores: (N,) or (k, N), higher means more likely positive.

    Returns:
        ``(aucs, cov)``: (k,) and (k, k).
    """
    y_true = np.asarray(y_true, dtype=bool)
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if scores.shape[1] != y_true.size or y_true.ndim != 1:
        raise ValueError(f'scores {scores.shape} do not match labels {y_true.shape}')
    m, n = int(y_true.sum()), int((~y_true).sum())
    if m < 2 or n < 2:
        raise ValueError(f'DeLong needs at least 2 positive and 2 negative cases, got {m} and {n}')
    positives, negatives = scores[:, y_true], scores[:, ~y_true]
    ranks_all = stats.rankdata(np.hstack([positives, negatives]), axis=1)
    v10 = (ranks_all[:, :m] - stats.rankdata(positives, axis=1)) / n
    v01 = 1.0 - (ranks_all[:, m:] - stats.rankdata(negatives, axis=1)) / m
    aucs = v10.mean(axis=1)
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, cov


def delong_interval(y_true: ArrayLike, score: ArrayLike,
                    confidence: float = CONFIDENCE) -> Tuple[float, float, Interval]:
    """AUC, its DeLong standard error and ``AUC +- z * SE`` clipped to [0, 1]."""
    aucs, cov = delong_covariance(y_true, score)
    auc, se = float(aucs[0]), float(np.sqrt(max(cov[0, 0], 0.0)))
    half = _z(confidence) * se
    return auc, se, (max(auc - half, 0.0), min(auc + half, 1.0))


@dataclass(frozen=True)
class DeLongComparison:
    """DeLong's test of two correlated AUCs; ``difference = auc_b - auc_a``."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    interval: Interval
    p_value: float


def delong_test(y_true: ArrayLike, score_a: ArrayLike, score_b: ArrayLike,
                confidence: float = CONFIDENCE) -> DeLongComparison:
    """DeLong's test of H0: AUC_a = AUC_b for two scorings of the same cases.

    ``z = (AUC_b - AUC_a) / sqrt(var_a + var_b - 2 cov_ab)``, two-sided normal
    p-value; the interval is ``difference +- z * SE``. Identical scorings
    have SE 0 and p = 1.
    """
    aucs, cov = delong_covariance(y_true, np.vstack([score_a, score_b]))
    difference = float(aucs[1] - aucs[0])
    se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    if se > 0:
        p_value = float(2 * stats.norm.sf(abs(difference) / se))
    else:
        p_value = 1.0 if difference == 0 else 0.0
    half = _z(confidence) * se
    return DeLongComparison(float(aucs[0]), float(aucs[1]), difference, se,
                            (difference - half, difference + half), p_value)


def reliability_bins(y_true: ArrayLike, probability: ArrayLike,
                     n_bins: int = 10) -> Dict[str, np.ndarray]:
    """Cases grouped by predicted probability into ``n_bins`` equal-width bins.

    Returns:
        ``edges`` (n_bins + 1,), and per bin ``count``, ``mean_probability``
        and ``observed_frequency`` (the fraction of positive cases; NaN for
        an empty bin).
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    probability = np.asarray(probability, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bins are [e_k, e_k+1), the last one closed: p = 1.0 falls in it.
    index = np.clip(np.searchsorted(edges, probability, side='right') - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid='ignore', divide='ignore'):
        mean_probability = np.bincount(index, probability, n_bins) / count
        observed = np.bincount(index, y_true, n_bins) / count
    return dict(edges=edges, count=count.astype(np.int64), mean_probability=mean_probability,
                observed_frequency=observed)


def expected_calibration_error(y_true: ArrayLike, probability: ArrayLike,
                               n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin size / N) x |observed frequency - mean
    probability| (Naeini et al. 2015), equal-width bins."""
    bins = reliability_bins(y_true, probability, n_bins)
    used = bins['count'] > 0
    gap = np.abs(bins['observed_frequency'][used] - bins['mean_probability'][used])
    return float((bins['count'][used] * gap).sum() / bins['count'].sum())


def brier_score(y_true: ArrayLike, probability: ArrayLike) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    y_true = np.asarray(y_true, dtype=np.float64)
    probability = np.asarray(probability, dtype=np.float64)
    return float(np.mean((probability - y_true)**2))
