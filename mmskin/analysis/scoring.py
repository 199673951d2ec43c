"""Scoring ISIC files as the official scorer does: a folder of predicted
masks against the ground-truth folder, a melanoma-probability CSV against the
label CSV.

The files are read by :mod:`mmskin.utils.isic_files` (masks) and
:mod:`mmskin.utils.label_csv` (labels); predictions are rows
``image_id,melanoma`` with the probability of melanoma, header optional.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmskin.evaluation.functional import (ISBI2016_SENSITIVITIES, classification_summary,
                                          confusion_counts, segmentation_summary)
from mmskin.utils import (ISICFileError, index_masks, read_csv_rows, read_label_csv, read_mask,
                          read_prediction_mask)


def _split_header(path: Path, rows: list, column: str) -> Tuple[list, int]:
    """Data rows and the index of ``column``. The header is optional: a first
    row whose second cell is not a number is a header, and must be
    ``image_id,<column>,...`` (never read as a row)."""
    first = rows[0][1]
    if len(first) > 1 and _is_number(first[1]):
        return rows, 1
    header = [cell.lower() for cell in first]
    if header[0] != 'image_id' or column not in header:
        raise ISICFileError(path, f'line 1 {",".join(first)!r} is neither the header '
                            f'image_id,{column} nor a row "<image id>,<probability>"')
    return rows[1:], header.index(column)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_row(path: Path, number: int, row: List[str], column: int, seen: dict) -> None:
    if len(row) <= column:
        raise ISICFileError(path, f'line {number}: {len(row)} fields, expected at least '
                            f'{column + 1}')
    if not row[0]:
        raise ISICFileError(path, f'line {number}: no image id in the first field')
    if row[0] in seen:
        raise ISICFileError(path, f'line {number}: image {row[0]} appears twice')


def read_ground_truth_labels(path: Path) -> Dict[str, int]:
    """``image_id -> label`` (0 benign, 1 malignant) of a label CSV; the first
    problem with a row is an error (:func:`mmskin.utils.read_label_csv`)."""
    return read_label_csv(path).check()


def read_predictions(path: Path) -> Dict[str, float]:
    """``image_id -> probability of melanoma`` from an ``image_id,melanoma`` CSV."""
    path = Path(path)
    rows, column = _split_header(path, read_csv_rows(path), 'melanoma')
    predictions: Dict[str, float] = {}
    for number, row in rows:
        _check_row(path, number, row, column, predictions)
        try:
            probability = float(row[column])
        except ValueError:
            probability = float('nan')
        if not 0.0 <= probability <= 1.0:
            raise ISICFileError(path, f'line {number}: melanoma probability {row[column]!r} '
                                f'of {row[0]} is not a number in [0, 1]')
        predictions[row[0]] = probability
    if not predictions:
        raise ISICFileError(path, 'no prediction rows')
    return predictions


def _preview(ids: Sequence[str], limit: int = 10) -> str:
    shown = ', '.join(ids[:limit])
    return shown + (f', ... ({len(ids)} in all)' if len(ids) > limit else '')


def _match(truth_ids, prediction_ids, where: Path, allow_missing: bool) -> Tuple[list, list]:
    missing = sorted(set(truth_ids) - set(prediction_ids))
    extra = sorted(set(prediction_ids) - set(truth_ids))
    if missing and not allow_missing:
        raise ISICFileError(where, f'no prediction for {len(missing)} ground-truth images '
                            f'({_preview(missing)}); pass --allow-missing (allow_missing=True) '
                            'to score them as images with no detection')
    return missing, extra


@dataclass
class ScoringReport:
    """Scores of a prediction set and what was odd about its files.

    The per-image inputs of the scores are kept for their intervals:
    ``counts`` (N, 4) ``[TP, FP, FN, TN]`` of each segmentation, or
    ``gt_labels`` and ``p_malignant`` (N,) of each classified image.
    """

    summary: Dict[str, float]
    n: int
    missing: List[str] = field(default_factory=list)
    extra: List[str] = field(default_factory=list)
    low_valued: List[str] = field(default_factory=list)
    counts: Optional[np.ndarray] = None
    gt_labels: Optional[np.ndarray] = None
    p_malignant: Optional[np.ndarray] = None


def score_segmentation_folders(prediction_dir: Path,
                               ground_truth_dir: Path,
                               empty_rule: str = 'one',
                               allow_missing: bool = False) -> ScoringReport:
    """Score a folder of predicted masks against the ground-truth folder.

    Every ground-truth image is scored. A missing prediction is an error,
    unless ``allow_missing``: it then scores as an empty mask, as an image
    with no detection does. Predictions without ground truth are listed in
    ``extra`` and ignored. Masks are read one pair at a time.
    """
    truth = index_masks(Path(ground_truth_dir), 'ground-truth')
    predictions = index_masks(Path(prediction_dir), 'prediction')
    missing, extra = _match(truth, predictions, Path(prediction_dir), allow_missing)
    counts, low_valued = [], []
    for image_id, truth_path in truth.items():
        gt = read_mask(truth_path)
        if image_id in predictions:
            pred, is_low = read_prediction_mask(predictions[image_id])
            if pred.shape != gt.shape:
                raise ISICFileError(predictions[image_id], (
                    f'mask is {pred.shape[1]}x{pred.shape[0]} (WxH) but the ground truth '
                    f'{truth_path} is {gt.shape[1]}x{gt.shape[0]}'))
            if is_low:
                low_valued.append(predictions[image_id].name)
        else:
            pred = np.zeros_like(gt)
        counts.append(confusion_counts(pred, gt))
    return ScoringReport(
        summary=segmentation_summary(np.stack(counts), empty_rule),
        n=len(counts),
        missing=missing,
        extra=extra,
        low_valued=low_valued,
        counts=np.stack(counts))


def score_classification_files(prediction_csv: Path,
                               ground_truth_csv: Path,
                               positive: str = 'malignant',
                               allow_missing: bool = False,
                               sensitivities: Optional[Sequence[float]] = None) -> ScoringReport:
    """Score a melanoma-probability CSV against an ISBI 2016 / ISIC 2017 label CSV.

    A missing prediction is an error, unless ``allow_missing``: it then
    scores as probability 0.0, as an image with no detection does by
    default. Predictions without ground truth are listed and ignored.
    """
    truth = read_ground_truth_labels(Path(ground_truth_csv))
    predictions = read_predictions(Path(prediction_csv))
    missing, extra = _match(truth, predictions, Path(prediction_csv), allow_missing)
    image_ids = sorted(truth)
    gt_labels = np.array([truth[i] for i in image_ids])
    p_malignant = np.array([predictions.get(i, 0.0) for i in image_ids])
    summary = classification_summary(
        gt_labels, p_malignant,
        positive=positive,
        sensitivities=ISBI2016_SENSITIVITIES if sensitivities is None else sensitivities)
    return ScoringReport(summary=summary, n=len(image_ids), missing=missing, extra=extra,
                         gt_labels=gt_labels, p_malignant=p_malignant)
