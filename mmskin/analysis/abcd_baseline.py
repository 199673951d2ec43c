"""The ABCD baseline: a logistic regression on the dermatologist's features.

The question a reviewer asks first of a melanoma classifier is whether it
beats the checklist a dermatologist computes by eye. This baseline fits a
logistic regression (scikit-learn, features standardised on the training
part) to the ABCD features (:mod:`.abcd`) of the training part's
ground-truth lesions and scores the validation part with the metric code and
intervals of every other model, beside the lesion-area baseline
(:mod:`.area_baseline`) on the same images.
"""
from pathlib import Path
from typing import Any, Dict, Tuple, Union

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from mmskin.evaluation.functional import classification_summary
from mmskin.evaluation.intervals import classification_intervals, with_interval_keys
from mmskin.evaluation.statistics import N_RESAMPLES, delong_test
from mmskin.utils import ISICFileError, read_image
from .abcd import ABCD_COLUMNS, abcd_features
from .area_baseline import iter_lesions, lesion_area_fractions

#: The features the model uses: all but the diameter in mm, which needs a
#: pixel size that ISIC images do not record.
MODEL_FEATURES = tuple(name for name in ABCD_COLUMNS if name != 'diameter_mm')


def abcd_feature_table(ann_file: Union[str, Path],
                       data_root: Union[str, Path]) -> Tuple[np.ndarray, np.ndarray]:
    """Ground-truth labels and ABCD features of the images of a COCO file.

    Args:
        ann_file: a COCO instance file of the ISIC converter
            (:func:`~.area_baseline.iter_lesions`).
        data_root: the folder its ``file_name`` entries are relative to (the
            converter's ROOT or ``--root``).

    Returns:
        ``(labels, features)``: (N,) 0 benign / 1 malignant and
        (N, len(MODEL_FEATURES)), in the order of the file's image ids.

    Raises:
        ISICFileError: an unreadable image, or a lesion mask of another size.
    """
    labels, rows = [], []
    for image_info, label, mask in iter_lesions(ann_file):
        path = Path(data_root) / image_info['file_name']
        image = read_image(path)
        if image.shape[:2] != mask.shape:
            raise ISICFileError(path, f'image is {image.shape[1]}x{image.shape[0]} (WxH) but '
                                f'its lesion in {ann_file} is {mask.shape[1]}x{mask.shape[0]}')
        features = abcd_features(image, mask)
        labels.append(label)
        rows.append([features[name] for name in MODEL_FEATURES])
    return np.array(labels), np.array(rows, dtype=np.float64)


def fit_abcd_model(features: np.ndarray, labels: np.ndarray) -> Pipeline:
    """Standardisation and an L2-regularised logistic regression (sklearn's
    defaults), fitted on ``features`` (N, F) and ``labels`` (N,)."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        features, labels)


def ranking_scores(labels: np.ndarray, p_malignant: np.ndarray, n_resamples: int = N_RESAMPLES,
                   seed: int = 0) -> Dict[str, float]:
    """AUC, AP and specificity at high sensitivities, with ``<name>_lo`` /
    ``<name>_hi`` after each score that has an interval (AUC: DeLong; AP:
    bootstrap of ``n_resamples``, none when 0), as tools/test.py reports
    them. AC, SE and SP at 0.5 are left out: the area fraction is no
    calibrated probability."""
    summary = {name: value for name, value in classification_summary(labels, p_malignant).items()
               if name not in ('AC', 'SE', 'SP')}
    intervals = (classification_intervals(labels, p_malignant, n_resamples=n_resamples,
                                          seed=seed) if n_resamples else None)
    return with_interval_keys(summary, intervals)


def abcd_baseline(train_ann: Union[str, Path], val_ann: Union[str, Path],
                  data_root: Union[str, Path], n_resamples: int = N_RESAMPLES,
                  seed: int = 0) -> Dict[str, Any]:
    """Fit on ``train_ann``, score on ``val_ann``, beside the area baseline.

    Args:
        train_ann, val_ann, data_root: as :func:`abcd_feature_table` takes them.
        n_resamples, seed: of the bootstrap intervals (none when 0).

    Returns:
        dict with ``abcd`` and ``area`` (:func:`ranking_scores` of the
        validation images), ``delong``
        (:class:`~mmskin.evaluation.statistics.DeLongComparison`,
        difference = ABCD's AUC - the area's), ``coefficients`` (feature ->
        standardised logistic coefficient), ``p_malignant`` (the model's, by
        validation image) and the image counts of both parts.
    """
    train_labels, train_features = abcd_feature_table(train_ann, data_root)
    val_labels, val_features = abcd_feature_table(val_ann, data_root)
    # in the order of abcd_feature_table: both read the file through iter_lesions
    fractions = lesion_area_fractions(val_ann)[1]
    model = fit_abcd_model(train_features, train_labels)
    p_malignant = model.predict_proba(val_features)[:, 1]
    return dict(
        abcd=ranking_scores(val_labels, p_malignant, n_resamples, seed),
        area=ranking_scores(val_labels, fractions, n_resamples, seed),
        delong=delong_test(val_labels, fractions, p_malignant),
        coefficients=dict(zip(MODEL_FEATURES, model[-1].coef_[0].tolist())),
        p_malignant=p_malignant,
        n_train=int(train_labels.size), n_train_malignant=int(train_labels.sum()),
        n_val=int(val_labels.size), n_val_malignant=int(val_labels.sum()))
