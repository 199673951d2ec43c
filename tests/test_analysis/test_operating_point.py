import json

import numpy as np
import pytest

from mmskin.analysis.operating_point import (choose_threshold, fit_operating_point,
                                             read_operating_point, write_operating_point)
from mmskin.evaluation.calibration import apply_calibration, fit_calibration, logit
from mmskin.utils import ISICFileError

# 10 malignant, 10 benign lesions; p > t is called malignant.
P_MALIGNANT = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.1])
P_BENIGN = np.array([0.55, 0.42, 0.33, 0.25, 0.2, 0.15, 0.12, 0.1, 0.05, 0.01])
Y = np.r_[np.ones(10, bool), np.zeros(10, bool)]
P = np.r_[P_MALIGNANT, P_BENIGN]


def _se_sp(threshold):
    called = P > threshold
    return called[Y].mean(), 1 - called[~Y].mean()


def test_sensitivity_rule_takes_the_highest_threshold_reaching_it():
    threshold = choose_threshold(Y, P, 'sens90')
    # The 9th most malignant-looking melanoma (0.3) must be called: the
    # threshold lies halfway to the next lower probability (0.25).
    assert threshold == pytest.approx(0.275)
    assert _se_sp(threshold)[0] == 0.9
    assert _se_sp(0.3)[0] < 0.9  # anything higher loses it
    assert choose_threshold(Y, P, 'sens95') == pytest.approx(0.075)


def test_youden_rule_maximises_se_plus_sp():
    threshold = choose_threshold(Y, P, 'youden')
    best = max(sum(_se_sp(t)) for t in np.linspace(0, 1, 1001))
    assert sum(_se_sp(threshold)) == pytest.approx(best)


@pytest.mark.parametrize('rule', ['sens', 'youdens', 'sens900'])
def test_unknown_rule_is_refused(rule):
    with pytest.raises(ValueError, match='unknown rule'):
        choose_threshold(Y, P, rule)


def test_platt_scaling_recovers_a_known_miscalibration():
    rng = np.random.RandomState(0)
    z = rng.randn(4000) * 2
    truth = 1 / (1 + np.exp(-z))
    y = rng.rand(4000) < truth
    # The model's p is the truth squeezed below 0.5: logit(p) = (z - 3) / 2.
    p = 1 / (1 + np.exp(-(z - 3) / 2))
    fitted = fit_calibration(y, p, 'platt')
    assert fitted['a'] == pytest.approx(2, rel=0.15)
    assert fitted['b'] == pytest.approx(3, rel=0.15)
    np.testing.assert_allclose(apply_calibration(p, fitted), truth, atol=0.05)
    temperature = fit_calibration(y, p, 'temperature')
    assert temperature['b'] == 0  # it cannot move the 0.5 point
    assert np.all(np.diff(apply_calibration(np.sort(p), fitted)) >= 0)  # order kept


def test_logit_of_zero_and_one_is_finite():
    assert np.isfinite(logit([0.0, 1.0])).all()


def _per_image(gt_label, p):
    return dict(gt_label=np.asarray(gt_label), p_malignant=np.asarray(p, dtype=float))


def test_operating_point_file_round_trip(tmp_path):
    per_image = _per_image(np.r_[Y.astype(int), -1], np.r_[P, 0.99])  # one unlabelled
    point = fit_operating_point(per_image, 'sens90', 'platt', source='calib/per_image.csv')
    assert point['n'] == 20 and point['n_malignant'] == 10
    assert point['threshold'] == pytest.approx(0.275)
    assert (point['calibration_SE'], point['calibration_SP']) == pytest.approx(_se_sp(0.275))
    assert point['calibrated_threshold'] == pytest.approx(
        apply_calibration([0.275], point['calibration'])[0])
    path = tmp_path / 'operating_point.json'
    write_operating_point(path, point)
    assert read_operating_point(path) == json.loads(json.dumps(point))


@pytest.mark.parametrize('change, problem', [
    (dict(threshold=1.5), 'not in'),
    (dict(threshold='0.3'), "field 'threshold'"),
    (dict(rule=None), "field 'rule'"),
    (dict(calibration=dict(method='isotonic', a=1, b=0)), 'calibration'),
])
def test_bad_operating_point_file_is_named(tmp_path, change, problem):
    point = fit_operating_point(_per_image(Y.astype(int), P), source='x')
    point.update(change)
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(point))
    with pytest.raises(ISICFileError, match=problem) as error:
        read_operating_point(path)
    assert str(path) in str(error.value)


def test_missing_or_not_json_file_is_named(tmp_path):
    with pytest.raises(ISICFileError, match='does not exist'):
        read_operating_point(tmp_path / 'none.json')
    (tmp_path / 'x.json').write_text('{')
    with pytest.raises(ISICFileError, match='not a JSON'):
        read_operating_point(tmp_path / 'x.json')
