import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from mmskin.evaluation.functional import (classification_summary, per_image_scores,
                                          segmentation_summary)
from mmskin.evaluation.intervals import (classification_intervals, segmentation_intervals,
                                         weighted_average_precision, with_interval_keys)
from mmskin.evaluation.statistics import (bootstrap_mean_interval, bootstrap_weights,
                                          brier_score, delong_covariance, delong_interval,
                                          delong_test, expected_calibration_error, mcnemar_exact,
                                          percentile_interval, reliability_bins,
                                          wilcoxon_signed_rank)

# Three positive and two negative cases, with a tie between models' scores.
Y_TRUE = np.array([1, 1, 1, 0, 0], bool)
SCORE_A = np.array([0.9, 0.6, 0.4, 0.6, 0.3])
SCORE_B = np.array([0.8, 0.2, 0.5, 0.1, 0.6])


def _draws(n, n_resamples, seed, chunk_size=256):
    """The image indices bootstrap_weights draws, resample by resample."""
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, chunk_size):
        yield from rng.integers(0, n, size=(min(chunk_size, n_resamples - start), n))


def test_delong_one_curve_by_hand():
    # Placements of the positives (negatives below, ties 1/2): 1, 3/4, 1/2;
    # of the negatives (positives above, ties 1/2): 1/2, 1.
    # AUC = 3/4; var = s10^2 / 3 + s01^2 / 2 = (1/16) / 3 + (1/8) / 2 = 1/12.
    aucs, cov = delong_covariance(Y_TRUE, SCORE_A)
    assert aucs == pytest.approx([0.75])
    assert cov == pytest.approx(np.array([[1 / 12]]))
    auc, se, (lo, hi) = delong_interval(Y_TRUE, SCORE_A)
    assert se == pytest.approx(np.sqrt(1 / 12))
    assert (lo, hi) == pytest.approx((0.75 - 1.959964 * se, 1.0))  # clipped at 1


def test_delong_two_curves_by_hand():
    # Model B: positive placements 1, 1/2, 1/2 (AUC 2/3); negative ones 1, 1/3.
    # Sample covariances: positives [[1/16, 1/16], [1/16, 1/12]], negatives
    # [[1/8, -1/6], [-1/6, 2/9]]; cov = S10 / 3 + S01 / 2:
    # var_A = 1/12, var_B = 5/36, cov_AB = 1/48 - 1/12 = -1/16.
    aucs, cov = delong_covariance(Y_TRUE, np.vstack([SCORE_A, SCORE_B]))
    assert aucs == pytest.approx([3 / 4, 2 / 3])
    assert cov == pytest.approx(np.array([[1 / 12, -1 / 16], [-1 / 16, 5 / 36]]))
    result = delong_test(Y_TRUE, SCORE_A, SCORE_B)
    se = np.sqrt(1 / 12 + 5 / 36 + 2 / 16)  # = sqrt(25 / 72)
    assert result.difference == pytest.approx(-1 / 12)
    assert result.se == pytest.approx(se)
    assert result.p_value == pytest.approx(2 * stats.norm.sf((1 / 12) / se))
    assert result.interval == pytest.approx((-1 / 12 - 1.959964 * se, -1 / 12 + 1.959964 * se))


def test_delong_auc_is_sklearns_and_identical_runs_do_not_differ():
    rng = np.random.default_rng(1)
    y = rng.random(200) < 0.3
    score = np.round(rng.random(200) + 0.4 * y, 1)  # many ties
    aucs, _ = delong_covariance(y, score)
    assert aucs[0] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    same = delong_test(y, score, score)
    assert same.difference == 0 and same.se == 0 and same.p_value == 1.0
    with pytest.raises(ValueError, match='at least 2 positive'):
        delong_covariance([1, 0, 0], [0.2, 0.1, 0.3])


def _stratified_bootstrap_sd(y, scores, n_resamples, seed=0):
    """SD of the AUCs (and of their difference) over resamples of the
    positive and the negative cases, each with replacement: brute force."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y), np.flatnonzero(~y)
    aucs = []
    for _ in range(n_resamples):
        index = np.r_[rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)]
        aucs.append([roc_auc_score(y[index], s[index]) for s in scores])
    aucs = np.array(aucs)
    return aucs.std(axis=0, ddof=1), (aucs[:, 1] - aucs[:, 0]).std(ddof=1)


def test_delong_agrees_with_a_brute_force_bootstrap():
    rng = np.random.default_rng(0)
    n = 300
    y = rng.random(n) < 0.3
    shared = rng.normal(size=n)
    score_a = shared + 1.0 * y + 0.8 * rng.normal(size=n)
    score_b = shared + 1.3 * y + 0.8 * rng.normal(size=n)
    sd, sd_difference = _stratified_bootstrap_sd(y, [score_a, score_b], 1000)
    _, cov = delong_covariance(y, np.vstack([score_a, score_b]))
    assert np.sqrt(np.diag(cov)) == pytest.approx(sd, rel=0.1)
    assert delong_test(y, score_a, score_b).se == pytest.approx(sd_difference, rel=0.1)


def test_bootstrap_weights_are_the_drawn_images():
    chunks = list(bootstrap_weights(7, 300, seed=3, chunk_size=128))
    weights = np.concatenate(chunks)
    assert [len(c) for c in chunks] == [128, 128, 44]
    expected = np.array([np.bincount(row, minlength=7) for row in _draws(7, 300, 3, 128)])
    assert np.array_equal(weights, expected)
    again = np.concatenate(list(bootstrap_weights(7, 300, seed=3, chunk_size=128)))
    assert np.array_equal(weights, again)  # seeded: the same resamples every time


def test_bootstrap_mean_interval_is_the_brute_force_percentile_interval():
    rng = np.random.default_rng(0)
    values = rng.beta(5, 2, size=80)
    values[[3, 17]] = np.nan  # excluded images
    brute = [np.nanmean(values[index]) for index in _draws(values.size, 500, seed=5)]
    expected = np.percentile(brute, [2.5, 97.5])
    assert bootstrap_mean_interval(values, 500, seed=5) == pytest.approx(expected, abs=1e-12)
    # and it is about mean +- 1.96 standard errors
    finite = values[~np.isnan(values)]
    lo, hi = bootstrap_mean_interval(values, 2000, seed=0)
    se = finite.std(ddof=1) / np.sqrt(finite.size)
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.1)
    assert percentile_interval([np.nan, 1.0, 2.0, 3.0], 0.5) == pytest.approx((1.5, 2.5))


def test_segmentation_intervals_cover_every_mean():
    rng = np.random.default_rng(2)
    tp = rng.integers(0, 500, 60)
    counts = np.stack([tp, rng.integers(0, 100, 60), rng.integers(0, 100, 60),
                       rng.integers(500, 900, 60)], axis=1)
    summary = segmentation_summary(counts)
    intervals = segmentation_intervals(per_image_scores(counts), n_resamples=400, seed=1)
    assert set(intervals) == {'JA', 'DI', 'AC', 'SE', 'SP', 'TJA'}
    for name, (lo, hi) in intervals.items():
        assert lo < summary[name] < hi, name
    brute = [np.mean(per_image_scores(counts[index])['DI']) for index in _draws(60, 400, 1)]
    assert intervals['DI'] == pytest.approx(np.percentile(brute, [2.5, 97.5]), abs=1e-12)


def test_weighted_average_precision_is_sklearns():
    rng = np.random.default_rng(4)
    y = rng.random(50) < 0.4
    score = np.round(rng.random(50), 1)  # ties
    weights = np.concatenate(list(bootstrap_weights(50, 20, seed=0)))
    ours = weighted_average_precision(weights, y, score)
    for row, index in zip(ours, _draws(50, 20, 0)):
        assert row == pytest.approx(average_precision_score(y[index], score[index]), abs=1e-12)
    assert np.isnan(weighted_average_precision(np.ones((1, 3)), [0, 0, 0], [0.1, 0.2, 0.3]))[0]


def test_classification_intervals_are_the_brute_force_ones():
    rng = np.random.default_rng(6)
    labels = (rng.random(60) < 0.4).astype(int)
    p = np.clip(0.3 + 0.4 * labels + 0.25 * rng.normal(size=60), 0, 1)
    intervals = classification_intervals(labels, p, positive='benign', n_resamples=200, seed=2)
    brute = [classification_summary(labels[i], p[i], positive='benign', sensitivities=(),
                                    empty_rule='exclude') for i in _draws(60, 200, 2)]
    for name in ('AC', 'SE', 'SP', 'AP'):
        expected = np.nanpercentile([b[name] for b in brute], [2.5, 97.5])
        assert intervals[name] == pytest.approx(expected, abs=1e-12), name
    auc, _, expected_auc = delong_interval(labels == 0, 1 - p)
    assert intervals['AUC'] == pytest.approx(expected_auc)
    keys = with_interval_keys({'AC': 0.5, 'AUC': auc, 'n': 60}, intervals)
    assert list(keys) == ['AC', 'AC_lo', 'AC_hi', 'AUC', 'AUC_lo', 'AUC_hi', 'n']


def test_wilcoxon_and_mcnemar():
    rng = np.random.default_rng(7)
    a = rng.random(40)
    b = a + 0.05 + 0.1 * rng.normal(size=40)
    assert wilcoxon_signed_rank(a, b) == pytest.approx(stats.wilcoxon(b - a).pvalue)
    assert wilcoxon_signed_rank(a, a.copy()) == 1.0
    # 1 case right only in A, 7 only in B: p = 2 x P(X <= 1 | 8, 1/2) = 2 x 9 / 256
    correct_a = np.array([1, 0, 0, 0, 0, 0, 0, 0, 1, 1], bool)
    correct_b = np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], bool)
    result = mcnemar_exact(correct_a, correct_b)
    assert (result.only_a_correct, result.only_b_correct) == (1, 7)
    assert result.p_value == pytest.approx(18 / 256)
    assert mcnemar_exact(correct_a, correct_a).p_value == 1.0


def test_calibration_by_hand():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.05, 0.15, 0.12, 0.95, 1.0])
    bins = reliability_bins(y, p, n_bins=10)
    assert bins['count'].tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins['observed_frequency'][1] == pytest.approx(0.5)
    assert bins['mean_probability'][9] == pytest.approx(0.975)
    # |0 - 0.05| x 1 + |0.5 - 0.135| x 2 + |1 - 0.975| x 2, over 5
    assert expected_calibration_error(y, p) == pytest.approx((0.05 + 0.73 + 0.05) / 5)
    assert brier_score(y, p) == pytest.approx(
        (0.05**2 + 0.15**2 + 0.88**2 + 0.05**2 + 0) / 5)
