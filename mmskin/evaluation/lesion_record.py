"""The lesion record: one row per image in every CSV mmskin writes.

``predictions.csv`` (inference on new photos) holds :data:`LESION_COLUMNS`,
optionally followed by :data:`ABCD_COLUMNS` (:func:`prediction_columns`);
``per_image.csv`` (a test run, ``ISICSegMetric(out_dir=...)``) holds
:data:`PER_IMAGE_COLUMNS`: the same columns with the ground-truth label and
the image's segmentation scores. Both come from :class:`LesionRecord`, so a
field added there appears in both files, and the tools that read them use
:func:`read_lesion_csv`, which checks every value against its column's
domain (:data:`COLUMN_RANGES`).
"""
import math
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from mmskin.utils import ISIC_CLASSES, UNKNOWN_LABEL, ISICFileError, read_csv_table
from .functional import SEG_METRICS


def to_numpy(value: Any) -> np.ndarray:
    """A tensor (on any device) or array-like as a numpy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


@dataclass(frozen=True)
class LesionRecord:
    """The combined lesion of one image as scalars (no mask).

    Attributes:
        image_id: the image's file name without its extension.
        pred_label: 0 benign, 1 malignant (``ISIC_CLASSES`` order).
        p_malignant: probability of malignancy (NaN for a model without a
            benign / malignant classifier).
        score: the score the kept detection was ranked by
            (``LesionCombinationHead.rank``: its class score, or its lesion
            probability 1 - p(background)); 0.0 without detection.
        detected: whether the detector found a lesion.
        x0, y0, x1, y1: the lesion box at the original resolution (zeros
            without detection).
        area: lesion mask area in pixels of the original image.
    """
    image_id: str
    pred_label: int
    p_malignant: float
    score: float
    detected: bool
    x0: float
    y0: float
    x1: float
    y1: float
    area: int

    @classmethod
    def from_lesion(cls, image_id: str, lesion: Any) -> 'LesionRecord':
        """From the ``pred_lesion`` that ``SkinLesionMaskRCNN.predict`` adds
        (a ``BaseDataElement`` or its ``to_dict()``)."""
        lesion = lesion.to_dict() if hasattr(lesion, 'to_dict') else lesion
        x0, y0, x1, y1 = (float(v) for v in to_numpy(lesion['bbox']))
        return cls(
            image_id=image_id,
            pred_label=int(lesion['pred_label']),
            p_malignant=float(lesion['p_malignant']),
            score=float(lesion['score']),
            detected=bool(lesion['detected']),
            x0=x0, y0=y0, x1=x1, y1=y1,
            area=int(np.count_nonzero(to_numpy(lesion['mask']))))

    def cells(self, features: Optional[Mapping[str, float]] = None) -> List[str]:
        """The record's CSV cells, in :data:`LESION_COLUMNS` order, followed
        by those of the lesion's ABCD ``features`` when given
        (:data:`ABCD_COLUMNS` order; NaN as an empty cell)."""
        formats = dict(p_malignant='{:.6f}', score='{:.6f}', x0='{:.2f}', y0='{:.2f}',
                       x1='{:.2f}', y1='{:.2f}')
        cells = []
        for item, value in zip(fields(self), astuple(self)):
            if isinstance(value, bool):
                value = int(value)
            cells.append(formats.get(item.name, '{}').format(value))
        if features is not None:
            cells.extend('' if math.isnan(features[name]) else f'{features[name]:.6g}'
                         for name in ABCD_COLUMNS)
        return cells


#: Columns of ``predictions.csv``.
LESION_COLUMNS = tuple(item.name for item in fields(LesionRecord))
#: Optional columns of ``predictions.csv`` (``tools/infer.py --abcd``, the web
#: app): the ABCD features of the predicted lesion, in the order
#: :func:`mmskin.analysis.abcd.abcd_features` returns them; empty cells for a
#: lesion with nothing to measure.
ABCD_COLUMNS = ('asymmetry_major', 'asymmetry_minor', 'compactness', 'solidity',
                'fractal_dimension', 'n_colours', 'colour_spread', 'diameter_px', 'diameter_mm')


def prediction_columns(abcd: bool = False) -> Tuple[str, ...]:
    """The columns of a ``predictions.csv``, with or without the ABCD features."""
    return LESION_COLUMNS + ABCD_COLUMNS if abcd else LESION_COLUMNS


#: Columns of ``per_image.csv``: the record, its ground-truth label and its scores.
PER_IMAGE_COLUMNS = (LESION_COLUMNS[0], 'gt_label', *LESION_COLUMNS[1:], *SEG_METRICS)


def per_image_row(record: LesionRecord, gt_label: int, scores: Sequence[float]) -> List[str]:
    """One row of ``per_image.csv``; ``scores`` in :data:`SEG_METRICS` order."""
    cells = record.cells()
    return [cells[0], str(gt_label), *cells[1:], *(f'{v:.6f}' for v in scores)]


#: Columns that hold whole numbers; the others but the id are floats.
INTEGER_COLUMNS = ('gt_label', 'pred_label', 'detected', 'area')
#: The values each numeric column may hold, ``(low, high)`` inclusive: what
#: the lesion record and the ISIC metrics can write. A value outside is a
#: file written by hand or by another program, and would turn every score
#: computed from it into nonsense.
COLUMN_RANGES = {
    'gt_label': (UNKNOWN_LABEL, len(ISIC_CLASSES) - 1),
    'pred_label': (0, len(ISIC_CLASSES) - 1),
    'p_malignant': (0.0, 1.0),
    'score': (0.0, 1.0),
    'detected': (0, 1),
    **{name: (0.0, math.inf) for name in ('x0', 'y0', 'x1', 'y1', 'area')},
    **{name: (0.0, 1.0) for name in SEG_METRICS},
    # Every ABCD feature is a non-negative measure (ratios, counts, lengths).
    **{name: (0.0, math.inf) for name in ABCD_COLUMNS},
}
#: Columns that may be NaN (an empty cell or ``nan``): p_malignant of a model
#: without benign / malignant classes, a score left out under
#: ``empty_rule='exclude'``, and the ABCD features of an image without a lesion
#: or written without ``--abcd`` (or without a known pixel size).
NAN_COLUMNS = ('p_malignant', *SEG_METRICS, *ABCD_COLUMNS)
_WHAT = ('the per_image.csv of ISICSegMetric(out_dir=...) (tools/test.py --isic-out) or the '
         'predictions.csv of tools/infer.py')


def _parse_cell(path: Path, line: int, column: str, cell: str) -> float:
    """The value of one numeric cell, checked against :data:`COLUMN_RANGES`."""
    whole = column in INTEGER_COLUMNS
    if cell == '' and column in NAN_COLUMNS:
        return math.nan
    try:
        value = int(cell) if whole else float(cell)
    except ValueError:
        raise ISICFileError(path, f'line {line}: {column} = {cell!r} is not a '
                            f'{"whole " if whole else ""}number') from None
    if math.isnan(value) and column in NAN_COLUMNS:
        return value
    low, high = COLUMN_RANGES[column]
    if not (math.isfinite(value) and low <= value <= high):
        bounds = f'in [{low}, {high}]' if math.isfinite(high) else f'>= {low}'
        raise ISICFileError(path, f'line {line}: {column} = {cell!r} is not a finite number '
                            f'{bounds}')
    return value


def read_lesion_csv(path: Path, required: Sequence[str] = PER_IMAGE_COLUMNS
                    ) -> Dict[str, np.ndarray]:
    """The ``required`` columns of a ``per_image.csv`` or ``predictions.csv``.

    The file is read by :func:`mmskin.utils.read_csv_table` (UTF-8 with or
    without a byte-order mark, LF or CRLF; a first row that is not the header
    is an error naming the columns). ``image_id`` comes back as an array of
    strings, :data:`INTEGER_COLUMNS` as int64 (``gt_label`` -1: unlabelled),
    every other column as float64 (NaN where :data:`NAN_COLUMNS` allow it).

    Raises:
        ISICFileError: missing or unreadable file, missing column, no rows,
            an image listed twice, or a cell that is not a number in its
            column's range (:data:`COLUMN_RANGES`), naming the line.
    """
    path = Path(path)
    header, rows = read_csv_table(path, required, _WHAT)
    if not rows:
        raise ISICFileError(path, 'no rows')
    position = {name: header.index(name) for name in required}
    seen: Dict[str, int] = {}
    for line, row in rows:
        image_id = row[position['image_id']] if 'image_id' in position else None
        if image_id in seen:
            raise ISICFileError(path, f'line {line}: image {image_id} appears twice (first in '
                                f'line {seen[image_id]})')
        seen[image_id] = line
    columns: Dict[str, np.ndarray] = {}
    for column in required:
        cells = [(line, row[position[column]]) for line, row in rows]
        if column == 'image_id':
            columns[column] = np.array([cell for _, cell in cells], dtype=str)
            continue
        values = [_parse_cell(path, line, column, cell) for line, cell in cells]
        columns[column] = np.array(values, np.int64 if column in INTEGER_COLUMNS else np.float64)
    return columns


def read_per_image(path: Path) -> Dict[str, np.ndarray]:
    """Every column of a ``per_image.csv`` (:func:`read_lesion_csv`)."""
    return read_lesion_csv(path, PER_IMAGE_COLUMNS)
