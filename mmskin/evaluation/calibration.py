"""Calibration of ``p_malignant`` and the decisions at a chosen threshold.

The model's ``p_malignant`` is ``p(malignant) / (p(benign) + p(malignant))``
of the RoI softmax (:class:`~mmskin.models.lesion_heads.LesionCombinationHead`
with ``renormalize=True``), that is ``sigmoid(z_malignant - z_benign)`` of the
classify subnet's logits: ``logit(p_malignant)`` is that logit difference,
recovered exactly from the probability. Both calibrations below rescale it:

* temperature scaling (Guo et al., ICML 2017): ``sigmoid(logit(p) / T)``,
  the softmax of the logits divided by ``T``; it cannot move the 0.5 point;
* Platt scaling (Platt, 1999): ``sigmoid(a * logit(p) + b)``, temperature
  ``1 / a`` plus a shift ``b``, which a model whose probabilities all sit
  below 0.5 needs.

Both are fitted by maximum likelihood on images the model did not train on
and keep the ranking of the lesions (``a > 0``): AUC and AP do not change.
"""
from typing import Dict

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression

from .functional import decision_counts, per_image_scores, positive_class_scores
from .statistics import expected_calibration_error

#: Ways to calibrate ``p_malignant``.
CALIBRATION_METHODS = ('platt', 'temperature')
# p of exactly 0 or 1 (an image without detection, a saturated softmax) has
# an infinite logit; float64's resolution near 1 bounds what is meaningful.
_EPS = 1e-12


def logit(p: ArrayLike) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[1e-12, 1 - 1e-12]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def fit_calibration(is_malignant: ArrayLike, p_malignant: ArrayLike,
                    method: str = 'platt') -> Dict[str, float]:
    """Fit a calibration of ``p_malignant`` (see the module's docstring).

    Args:
        is_malignant: (N,) bool, the ground truth.
        p_malignant: (N,) the model's probabilities.
        method: one of :data:`CALIBRATION_METHODS`.

    Returns:
        ``dict(method, a, b)``: calibrated ``p = sigmoid(a * logit(p) + b)``
        (``b = 0``, ``a = 1 / T`` for temperature scaling).

    Raises:
        ValueError: an unknown method, or both classes not present.
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(f'calibration method must be one of {CALIBRATION_METHODS}, '
                         f'got {method!r}')
    y = np.asarray(is_malignant, dtype=bool)
    if y.all() or not y.any():
        raise ValueError('calibration needs benign and malignant lesions')
    z = logit(p_malignant)
    if method == 'platt':
        # C = inf: plain maximum likelihood, no penalty on the two parameters.
        model = LogisticRegression(C=np.inf).fit(z[:, None], y)
        return dict(method=method, a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))

    def nll(log_inverse_t: float) -> float:
        s = np.exp(log_inverse_t) * z
        return float(np.sum(np.logaddexp(0, s) - y * s))

    # Bounded: T from e^-5 to e^5 covers any plausible logit scale.
    log_inverse_t = minimize_scalar(nll, bounds=(-5, 5), method='bounded').x
    return dict(method=method, a=float(np.exp(log_inverse_t)), b=0.0)


def apply_calibration(p_malignant: ArrayLike, calibration: Dict[str, float]) -> np.ndarray:
    """``sigmoid(a * logit(p) + b)`` of :func:`fit_calibration`'s ``a, b``."""
    s = calibration['a'] * logit(p_malignant) + calibration['b']
    return 1.0 / (1.0 + np.exp(-s))


def operating_point_summary(gt_labels: ArrayLike, p_malignant: ArrayLike, threshold: float,
                            calibration: Dict[str, float] = None,
                            empty_rule: str = 'one') -> Dict[str, float]:
    """AC, SE and SP of the decisions ``p_malignant > threshold`` (malignant
    positive), and with ``calibration`` the ECE of ``p_malignant`` before
    (``ECE``) and after (``ECE_calibrated``) it."""
    y_true, y_score = positive_class_scores(gt_labels, p_malignant)
    scores = per_image_scores(decision_counts(y_true, y_score, threshold), empty_rule)
    summary = {name: float(scores[name]) for name in ('AC', 'SE', 'SP')}
    if calibration is not None:
        summary['ECE'] = expected_calibration_error(y_true, y_score)
        summary['ECE_calibrated'] = expected_calibration_error(
            y_true, apply_calibration(y_score, calibration))
    return summary
