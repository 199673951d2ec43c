"""Reading the official ISIC mask folders and label CSVs, and scoring them.

The file conventions are those of the challenge archives and of the
official scorer (ImageMarkup/isic-challenge-scoring):

* masks are single-channel 8-bit PNGs named ``ISIC_<id>_segmentation.png``
  (ISIC 2017 and later) or ``ISIC_<id>_Segmentation.png`` (ISBI 2016);
* a ground-truth mask holds 0 and one foreground value (255; the scorer
  rescales any other single value to 255);
* a predicted mask is binarised as ``value > 128``, so a 0/1 mask counts as
  all background (:func:`read_prediction_mask` flags such files);
* ground-truth labels: ISBI 2016 CSVs have no header and rows
  ``ISIC_<id>,benign|malignant`` (training) or ``ISIC_<id>,0.0|1.0``
  (test); ISIC 2017 CSVs have the header ``image_id,melanoma,...`` with
  malignant = ``melanoma == 1``;
* predictions: rows ``image_id,melanoma`` with the probability of
  melanoma, header optional.
"""
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .functional import (ISBI2016_SENSITIVITIES, classification_summary, confusion_counts,
                         segmentation_summary)

#: A mask file name in either ISIC spelling; group ``image_id`` is e.g. 'ISIC_0000000'.
MASK_NAME = re.compile(r'^(?P<image_id>.+)_[Ss]egmentation\.png$')
#: Ground-truth label names of the ISBI 2016 CSVs, in ``ISIC_CLASSES`` label order.
_LABEL_NAMES = {'benign': 0, 'malignant': 1}


class ISICInputError(ValueError):
    """A user-supplied ISIC file or folder is unusable; the message names it."""


def prediction_mask_name(image_id: str) -> str:
    """File name under which a predicted mask is written and looked up."""
    return f'{image_id}_segmentation.png'


def index_masks(folder: Path, role: str) -> Dict[str, Path]:
    """``image_id -> path`` of the masks in ``folder``.

    Args:
        folder: a folder of ``ISIC_<id>_[Ss]egmentation.png`` files; other
            files are ignored.
        role: 'ground-truth' or 'prediction', for the messages.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ISICInputError(f'{folder}: {role} folder does not exist')
    masks: Dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = MASK_NAME.match(path.name)
        if not match:
            continue
        image_id = match['image_id']
        if image_id in masks:
            raise ISICInputError(f'{folder}: two {role} masks for {image_id}: '
                                 f'{masks[image_id].name} and {path.name}')
        masks[image_id] = path
    if not masks:
        raise ISICInputError(f'{folder}: no {role} masks named ISIC_<id>_segmentation.png '
                             'or ISIC_<id>_Segmentation.png')
    return masks


def _read_gray8(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ISICInputError(f'{path}: cannot be decoded as an image')
    if image.ndim != 2:
        raise ISICInputError(f'{path}: has {image.shape[2]} channels; expected a '
                             'single-channel 8-bit mask')
    if image.dtype != np.uint8:
        raise ISICInputError(f'{path}: pixels are {image.dtype}; expected an 8-bit mask')
    return image


def read_ground_truth_mask(path: Path) -> np.ndarray:
    """A ground-truth mask as bool (H, W): 0 is background, the other value lesion."""
    image = _read_gray8(Path(path))
    foreground_values = np.setdiff1d(np.unique(image), [0])
    if foreground_values.size > 1:
        raise ISICInputError(f'{path}: not a binary mask, values {foreground_values.tolist()} '
                             'besides 0; expected 0 and one foreground value (255)')
    return image != 0


def read_prediction_mask(path: Path, shape: Tuple[int, int]) -> Tuple[np.ndarray, bool]:
    """A predicted mask binarised as the official scorer does (``value > 128``).

    Args:
        path: the PNG file.
        shape: ``(H, W)`` of its ground truth; a mismatch is an error.

    Returns:
        ``(mask, low_valued)``: bool (H, W), and whether the file has
        non-zero pixels that are all <= 128 (e.g. a 0/1 mask), which the
        scorer counts as background.
    """
    image = _read_gray8(Path(path))
    if image.shape != tuple(shape):
        raise ISICInputError(f'{path}: mask is {image.shape[0]}x{image.shape[1]} (HxW); '
                             f'expected {shape[0]}x{shape[1]} as its ground truth')
    mask = image > 128
    return mask, bool(image.any() and not mask.any())


def _csv_rows(path: Path) -> List[Tuple[int, List[str]]]:
    """Non-blank rows of a CSV file with their 1-based line numbers."""
    path = Path(path)
    if not path.is_file():
        raise ISICInputError(f'{path}: file does not exist')
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = [(number, [cell.strip() for cell in row])
                    for number, row in enumerate(csv.reader(f), start=1)
                    if any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error) as error:
        raise ISICInputError(f'{path}: not a readable CSV file ({error})') from None
    if not rows:
        raise ISICInputError(f'{path}: empty CSV file')
    return rows


def _split_header(path: Path, rows: list, column: str) -> Tuple[list, int]:
    """Data rows and the index of ``column``; a header is recognised by 'image_id'."""
    header = [cell.lower() for cell in rows[0][1]]
    if header[0] != 'image_id':
        return rows, 1
    if column not in header:
        raise ISICInputError(f'{path}: header {rows[0][1]} has no {column!r} column')
    return rows[1:], header.index(column)


def _check_row(path: Path, number: int, row: List[str], column: int, seen: dict) -> None:
    if len(row) <= column:
        raise ISICInputError(f'{path}, line {number}: {len(row)} fields, expected at least '
                             f'{column + 1}')
    if not row[0]:
        raise ISICInputError(f'{path}, line {number}: no image id in the first field')
    if row[0] in seen:
        raise ISICInputError(f'{path}, line {number}: image {row[0]} appears twice')


def read_ground_truth_labels(path: Path) -> Dict[str, int]:
    """``image_id -> label`` (0 benign, 1 malignant) from an ISBI 2016 or ISIC 2017 CSV."""
    path = Path(path)
    rows, column = _split_header(path, _csv_rows(path), 'melanoma')
    labels: Dict[str, int] = {}
    for number, row in rows:
        _check_row(path, number, row, column, labels)
        value = row[column].lower()
        if value in _LABEL_NAMES:
            labels[row[0]] = _LABEL_NAMES[value]
            continue
        try:
            number_value = float(value)
        except ValueError:
            number_value = float('nan')
        if number_value not in (0.0, 1.0):
            raise ISICInputError(f'{path}, line {number}: unknown label {row[column]!r} for '
                                 f'{row[0]}; expected benign, malignant, 0 or 1')
        labels[row[0]] = int(number_value)
    if not labels:
        raise ISICInputError(f'{path}: no label rows')
    return labels


def read_predictions(path: Path) -> Dict[str, float]:
    """``image_id -> probability of melanoma`` from an ``image_id,melanoma`` CSV."""
    path = Path(path)
    rows, column = _split_header(path, _csv_rows(path), 'melanoma')
    predictions: Dict[str, float] = {}
    for number, row in rows:
        _check_row(path, number, row, column, predictions)
        try:
            probability = float(row[column])
        except ValueError:
            probability = float('nan')
        if not 0.0 <= probability <= 1.0:
            raise ISICInputError(f'{path}, line {number}: melanoma probability {row[column]!r} '
                                 f'of {row[0]} is not a number in [0, 1]')
        predictions[row[0]] = probability
    if not predictions:
        raise ISICInputError(f'{path}: no prediction rows')
    return predictions


def _preview(ids: Sequence[str], limit: int = 10) -> str:
    shown = ', '.join(ids[:limit])
    return shown + (f', ... ({len(ids)} in all)' if len(ids) > limit else '')


def _match(truth_ids, prediction_ids, where: Path, allow_missing: bool) -> Tuple[list, list]:
    missing = sorted(set(truth_ids) - set(prediction_ids))
    extra = sorted(set(prediction_ids) - set(truth_ids))
    if missing and not allow_missing:
        raise ISICInputError(f'{where}: no prediction for {len(missing)} ground-truth images '
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
        gt = read_ground_truth_mask(truth_path)
        if image_id in predictions:
            pred, is_low = read_prediction_mask(predictions[image_id], gt.shape)
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
