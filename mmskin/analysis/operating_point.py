"""The operating point of a classifier: a threshold on ``p_malignant`` chosen
by a named rule, and a calibration of ``p_malignant``, both fitted on a
calibration part of images the model did not train on and the reported
figures do not use (``tools/misc/make_split.py --calib-fraction``).

``tools/analysis/operating_point.py`` fits them on the ``per_image.csv`` of a
test run on that part and writes :data:`OPERATING_POINT_NAME`;
``tools/test.py --operating-point`` then reports AC, SE and SP at the
threshold (beside the ISIC 0.5) and the ECE before and after the calibration,
and ``tools/infer.py --threshold`` labels new photos with it.

Decisions follow the ISIC rule: malignant iff ``p_malignant > threshold``.
The threshold applies to the model's own ``p_malignant``; the calibration
keeps the lesions' order, so ``calibrated_threshold`` is the same point on
the calibrated scale.
"""
import json
import math
import re
from pathlib import Path
from typing import Any, Dict, Mapping, Union

import numpy as np
from numpy.typing import ArrayLike

from mmskin.evaluation.calibration import (CALIBRATION_METHODS, apply_calibration,
                                           fit_calibration, operating_point_summary)
from mmskin.evaluation.functional import positive_class_scores
from mmskin.utils import ISICFileError, dump_json_atomic

#: The file the operating point is saved in, beside the run's ``per_image.csv``.
OPERATING_POINT_NAME = 'operating_point.json'
#: The default rule: the highest threshold with sensitivity >= 0.90.
DEFAULT_RULE = 'sens90'
_SENSITIVITY_RULE = re.compile(r'^sens(\d{1,2})$')
#: Fields of the file, each with the type it must have.
_FIELDS = dict(threshold=float, rule=str, calibration_SE=float, calibration_SP=float, n=int,
               n_malignant=int, source=str)


def rule_help() -> str:
    """The rules, as a command line's help lists them."""
    return ("'sensNN': the highest threshold whose sensitivity is >= 0.NN (e.g. sens90, "
            "sens95); 'youden': the threshold of the largest SE + SP - 1 (Youden's J)")


def check_rule(rule: str) -> str:
    """``rule`` if it names a rule (:func:`rule_help`).

    Raises:
        ValueError: it does not.
    """
    if rule == 'youden' or _SENSITIVITY_RULE.match(rule):
        return rule
    raise ValueError(f'unknown rule {rule!r}: {rule_help()}')


def choose_threshold(is_malignant: ArrayLike, p_malignant: ArrayLike,
                     rule: str = DEFAULT_RULE) -> float:
    """The threshold a rule picks on a set of lesions.

    Candidates lie halfway between consecutive distinct values of
    ``p_malignant`` (and halfway between 0 and the smallest), so that a
    threshold never sits on a lesion's own probability and the decisions on
    this set are those the rule saw.

    Args:
        is_malignant: (N,) bool ground truth.
        p_malignant: (N,) probabilities.
        rule: ``'sensNN'`` or ``'youden'`` (:func:`rule_help`); Youden's ties
            go to the highest threshold.

    Raises:
        ValueError: an unknown rule, both classes not present, or no
            threshold reaching the sensitivity.
    """
    check_rule(rule)
    y = np.asarray(is_malignant, dtype=bool)
    p = np.asarray(p_malignant, dtype=np.float64)
    if y.all() or not y.any():
        raise ValueError('an operating point needs benign and malignant lesions')
    values = np.unique(p)
    candidates = np.concatenate([[values[0] / 2], (values[:-1] + values[1:]) / 2])[::-1]
    called = p[None, :] > candidates[:, None]
    sensitivity = called[:, y].mean(axis=1)
    specificity = 1.0 - called[:, ~y].mean(axis=1)
    match = _SENSITIVITY_RULE.match(rule)
    if match:
        reached = np.flatnonzero(sensitivity >= int(match[1]) / 100 - 1e-12)
        if not reached.size:
            raise ValueError(f'no threshold reaches the sensitivity of rule {rule!r}')
        return float(candidates[reached[0]])
    return float(candidates[np.argmax(sensitivity + specificity)])  # youden


def fit_operating_point(per_image: Mapping[str, np.ndarray], rule: str = DEFAULT_RULE,
                        calibration: str = 'platt', source: str = '') -> Dict[str, Any]:
    """The operating point and calibration of a test run on the calibration part.

    Args:
        per_image: :func:`~mmskin.evaluation.read_per_image` of the run.
        rule: see :func:`choose_threshold`.
        calibration: one of :data:`~mmskin.evaluation.calibration.CALIBRATION_METHODS`.
        source: the file ``per_image`` was read from, recorded.

    Returns:
        What :func:`write_operating_point` saves: ``threshold``, ``rule``, the
        ``calibration_SE`` / ``calibration_SP`` the threshold gives on these
        images, ``n`` and ``n_malignant`` of them, ``source``,
        ``calibration`` (``method``, ``a``, ``b``, ``ECE`` before and
        ``ECE_calibrated`` after on these images) and
        ``calibrated_threshold``.
    """
    labelled = per_image['gt_label'] >= 0
    labels = per_image['gt_label'][labelled]
    is_malignant, p = positive_class_scores(labels, per_image['p_malignant'][labelled])
    threshold = choose_threshold(is_malignant, p, rule)
    fitted = fit_calibration(is_malignant, p, calibration)
    summary = operating_point_summary(labels, p, threshold, fitted)
    fitted.update(ECE=summary['ECE'], ECE_calibrated=summary['ECE_calibrated'])
    return dict(threshold=threshold, rule=rule, calibration_SE=summary['SE'],
                calibration_SP=summary['SP'], n=int(labelled.sum()),
                n_malignant=int(is_malignant.sum()), source=str(source),
                calibration=fitted,
                calibrated_threshold=float(apply_calibration([threshold], fitted)[0]))


def write_operating_point(path: Union[str, Path], point: Dict[str, Any]) -> None:
    """Save :func:`fit_operating_point`'s result as JSON (atomically)."""
    dump_json_atomic(point, path)


def read_operating_point(path: Union[str, Path]) -> Dict[str, Any]:
    """An operating point file, checked.

    Raises:
        ISICFileError: a missing file, not JSON, a missing or mistyped
            field, a threshold outside [0, 1] or an unknown calibration.
    """
    path = Path(path)
    if not path.is_file():
        raise ISICFileError(path, 'operating point file does not exist')
    try:
        point = json.loads(path.read_text(encoding='utf-8'))
    except (UnicodeDecodeError, ValueError) as error:
        raise ISICFileError(path, f'not a JSON operating point ({error})') from None
    if not isinstance(point, dict):
        raise ISICFileError(path, 'not a JSON object; expected the operating_point.json of '
                            'tools/analysis/operating_point.py')
    for name, kind in _FIELDS.items():
        value = point.get(name)
        if not isinstance(value, (int, float) if kind is float else kind) or isinstance(
                value, bool):
            raise ISICFileError(path, f'field {name!r} is {value!r}, expected a '
                                f'{kind.__name__}')
    if not 0.0 <= point['threshold'] <= 1.0:
        raise ISICFileError(path, f'threshold {point["threshold"]} is not in [0, 1]')
    fitted = point.get('calibration')
    if fitted is not None and not (
            isinstance(fitted, dict) and fitted.get('method') in CALIBRATION_METHODS
            and all(isinstance(fitted.get(k), (int, float)) and math.isfinite(fitted[k])
                    for k in ('a', 'b'))):
        raise ISICFileError(path, f'calibration {fitted!r}: expected method '
                            f'({" or ".join(CALIBRATION_METHODS)}), a and b')
    return point


def threshold_of(value: str) -> float:
    """A threshold given as a number in [0, 1] or as an operating point file.

    Raises:
        ISICFileError: neither a number in [0, 1] nor a readable file of
            :func:`read_operating_point`.
    """
    try:
        threshold = float(value)
    except ValueError:
        return float(read_operating_point(value)['threshold'])
    if not 0.0 <= threshold <= 1.0:
        raise ISICFileError(value, 'a threshold must be in [0, 1] (or name an operating point '
                            'file)')
    return threshold
