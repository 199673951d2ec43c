import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from mmskin.evaluation.functional import (classification_summary, confusion_counts,
                                          per_image_scores, positive_class_scores,
                                          segmentation_summary, sensitivity_key,
                                          specificity_at_sensitivity, threshold_jaccard)


def _mask(rows):
    return np.array(rows, dtype=bool)


# (pred, gt, expected [TP, FP, FN, TN], expected scores with the 'one' rule,
#  metrics whose denominator is empty)
SEG_CASES = {
    'perfect': (_mask([[1, 0], [0, 0]]), _mask([[1, 0], [0, 0]]), [1, 0, 0, 3],
                dict(JA=1, DI=1, AC=1, SE=1, SP=1), ()),
    'both empty': (_mask([[0, 0], [0, 0]]), _mask([[0, 0], [0, 0]]), [0, 0, 0, 4],
                   dict(JA=1, DI=1, AC=1, SE=1, SP=1), ('JA', 'DI', 'SE')),
    'empty gt': (_mask([[1, 0], [0, 0]]), _mask([[0, 0], [0, 0]]), [0, 1, 0, 3],
                 dict(JA=0, DI=0, AC=0.75, SE=1, SP=0.75), ('SE', )),
    'empty prediction': (_mask([[0, 0], [0, 0]]), _mask([[1, 1], [0, 0]]), [0, 0, 2, 2],
                         dict(JA=0, DI=0, AC=0.5, SE=0, SP=1), ()),
    'both full': (_mask([[1, 1], [1, 1]]), _mask([[1, 1], [1, 1]]), [4, 0, 0, 0],
                  dict(JA=1, DI=1, AC=1, SE=1, SP=1), ('SP', )),
    'full prediction': (_mask([[1, 1], [1, 1]]), _mask([[0, 1], [0, 0]]), [1, 3, 0, 0],
                        dict(JA=0.25, DI=0.4, AC=0.25, SE=1, SP=0), ()),
}


@pytest.mark.parametrize('case', SEG_CASES, ids=list(SEG_CASES))
def test_per_image_scores_by_hand(case):
    pred, gt, counts, expected, empty = SEG_CASES[case]
    np.testing.assert_array_equal(confusion_counts(pred, gt), counts)
    current = per_image_scores(counts, empty_rule='one')
    legacy = per_image_scores(counts, empty_rule='exclude')
    for name, value in expected.items():
        assert current[name] == pytest.approx(value), name
        if name in empty:
            assert math.isnan(legacy[name]), name
        else:
            assert legacy[name] == pytest.approx(value), name


def test_confusion_counts_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r'\(2, 3\).*\(3, 2\).*original image resolution'):
        confusion_counts(np.zeros((2, 3), bool), np.zeros((3, 2), bool))


def test_summary_means_per_image_not_pooled_and_empty_rules():
    # an image with both masks empty, and one of 8 pixels whose prediction
    # covers the lesion (1 pixel) and 3 more pixels
    counts = [[0, 0, 0, 4], [1, 3, 0, 4]]
    current = segmentation_summary(counts, empty_rule='one')
    legacy = segmentation_summary(counts, empty_rule='exclude')
    assert current['JA'] == pytest.approx((1 + 0.25) / 2)
    assert legacy['JA'] == pytest.approx(0.25)  # the empty image has no JA
    assert current['SE'] == pytest.approx(1.0) and legacy['SE'] == pytest.approx(1.0)
    assert current['SP'] == pytest.approx((1 + 4 / 7) / 2)
    assert legacy['SP'] == pytest.approx((1 + 4 / 7) / 2)
    assert current['AC'] == pytest.approx((1 + 5 / 8) / 2)  # pooled would be 9 / 12
    assert current['JA_median'] == pytest.approx(0.625)
    assert legacy['JA_median'] == pytest.approx(0.25)


def test_thresholded_jaccard():
    ja = np.array([1.0, 0.25, 0.7, 0.65, 0.6499, np.nan])
    np.testing.assert_array_equal(threshold_jaccard(ja)[:5], [1.0, 0.0, 0.7, 0.65, 0.0])
    assert np.isnan(threshold_jaccard(ja)[5])
    # JA per image 1, 0.25, 0.7 -> TJA mean (1 + 0 + 0.7) / 3
    counts = [[4, 0, 0, 5], [1, 3, 0, 5], [7, 3, 0, 5]]
    summary = segmentation_summary(counts)
    assert summary['JA'] == pytest.approx((1 + 0.25 + 0.7) / 3)
    assert summary['TJA'] == pytest.approx((1 + 0 + 0.7) / 3)
    assert summary['JA_median'] == pytest.approx(0.7)


def _reference_seg(preds, gts, empty_rule):
    """A straightforward per-image loop, independent of the module."""
    values = {k: [] for k in ('JA', 'DI', 'AC', 'SE', 'SP', 'TJA')}
    for pred, gt in zip(preds, gts):
        tp = fp = fn = tn = 0
        for p, g in zip(pred.ravel().tolist(), gt.ravel().tolist()):
            if p and g:
                tp += 1
            elif p:
                fp += 1
            elif g:
                fn += 1
            else:
                tn += 1
        for name, num, den in (('JA', tp, tp + fp + fn), ('DI', 2 * tp, 2 * tp + fp + fn),
                               ('AC', tp + tn, tp + tn + fp + fn), ('SE', tp, tp + fn),
                               ('SP', tn, tn + fp)):
            if den:
                values[name].append(num / den)
            elif empty_rule == 'one':
                values[name].append(1.0)
        if tp + fp + fn or empty_rule == 'one':
            ja = values['JA'][-1]
            values['TJA'].append(ja if ja >= 0.65 else 0.0)
    return {k: sum(v) / len(v) for k, v in values.items()}


@pytest.mark.parametrize('empty_rule', ['one', 'exclude'])
def test_segmentation_matches_reference_on_random_masks(empty_rule):
    rng = np.random.default_rng(0)
    preds, gts = [], []
    for i in range(12):
        h, w = rng.integers(5, 20, size=2)
        gt = rng.random((h, w)) < rng.uniform(0, 0.6)
        pred = rng.random((h, w)) < rng.uniform(0, 0.6)
        if i == 0:
            gt[:] = pred[:] = False
        if i == 1:
            gt[:] = pred[:] = True
        if i == 2:
            pred = gt.copy()
        preds.append(pred)
        gts.append(gt)
    counts = np.stack([confusion_counts(p, g) for p, g in zip(preds, gts)])
    summary = segmentation_summary(counts, empty_rule=empty_rule)
    reference = _reference_seg(preds, gts, empty_rule)
    for name, value in reference.items():
        assert abs(summary[name] - value) < 1e-9, name


def test_classification_by_hand_malignant_and_benign_positive():
    labels = [0, 0, 0, 1]
    p_malignant = [0.2, 0.3, 0.7, 0.8]
    malignant = classification_summary(labels, p_malignant, sensitivities=())
    # called malignant: 0.7 (wrong), 0.8 (right): TP 1, FP 1, TN 2, FN 0
    assert malignant == pytest.approx(dict(AC=0.75, AUC=1.0, AP=1.0, SE=1.0, SP=2 / 3))
    benign = classification_summary(labels, p_malignant, positive='benign', sensitivities=())
    # p_benign = 0.8, 0.7, 0.3, 0.2: called benign: first two: TP 2, FN 1, TN 1, FP 0
    assert benign == pytest.approx(dict(AC=0.75, AUC=1.0, AP=1.0, SE=2 / 3, SP=1.0))


def test_benign_positive_flips_scores_for_ap():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 30)
    p = rng.random(30)
    summary = classification_summary(labels, p, positive='benign', sensitivities=())
    assert summary['AP'] == pytest.approx(average_precision_score(labels == 0, 1 - p), abs=1e-12)
    assert summary['AUC'] == pytest.approx(roc_auc_score(labels, p), abs=1e-12)
    y_true, y_score = positive_class_scores(labels, p, 'benign')
    np.testing.assert_array_equal(y_true, labels == 0)
    np.testing.assert_allclose(y_score, 1 - p)


def test_threshold_is_strict_and_ties():
    # p = 0.5 exactly is not malignant; all scores tied
    summary = classification_summary([0, 1, 0, 1], [0.5] * 4, sensitivities=(0.95, ))
    assert summary['AC'] == 0.5 and summary['SE'] == 0.0 and summary['SP'] == 1.0
    assert summary['AUC'] == pytest.approx(0.5)
    assert summary['AP'] == pytest.approx(0.5)
    # the only ROC point with TPR >= 0.95 is (1, 1)
    assert summary['SP_at_SE95'] == 0.0
    assert classification_summary([1], [0.5000001], sensitivities=())['SE'] == 1.0


def test_specificity_at_sensitivity_by_hand():
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.6, 0.5, 0.2, 0.1])
    # TPR reaches 0.75 at threshold 0.7 (no false positive yet), 1.0 only at
    # 0.3, after two of the four negatives
    assert specificity_at_sensitivity(labels, scores, 0.75) == 1.0
    assert specificity_at_sensitivity(labels, scores, 0.95) == 0.5
    assert specificity_at_sensitivity(labels, scores, 0.5) == 1.0
    summary = classification_summary(labels, scores, sensitivities=(0.75, 0.95, 0.98))
    assert summary['SP_at_SE75'] == 1.0 and summary['SP_at_SE95'] == 0.5
    assert summary['SP_at_SE98'] == 0.5
    assert sensitivity_key(0.82) == 'SP_at_SE82' and sensitivity_key(0.875) == 'SP_at_SE87_5'


def test_single_class_gives_nan_and_warning(logged_warnings):
    summary = classification_summary([0, 0, 0], [0.1, 0.7, 0.2])
    assert math.isnan(summary['AUC']) and math.isnan(summary['AP'])
    assert math.isnan(summary['SP_at_SE95'])
    assert summary['AC'] == pytest.approx(2 / 3)
    assert summary['SE'] == 1.0  # no malignant lesion: the official freebie
    assert math.isnan(
        classification_summary([0, 0], [0.1, 0.2], empty_rule='exclude', sensitivities=())['SE'])
    assert any('only one class' in m and 'NaN' in m for m in logged_warnings)


@pytest.mark.parametrize('labels, p, match', [
    ([0, 2], [0.1, 0.2], 'gt_labels must be 0'),
    ([0, 1], [0.1, 1.2], r'\[0, 1\]'),
    ([0, 1], [0.1, float('nan')], r'\[0, 1\]'),
    ([0, 1], [0.1], 'same length'),
])
def test_classification_rejects_bad_input(labels, p, match):
    with pytest.raises(ValueError, match=match):
        classification_summary(labels, p)
