"""Writing the outputs of inference on new photos, one image at a time, all
of an image's files or none."""
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Union

import cv2
import numpy as np

from mmskin.evaluation import LESION_COLUMNS, read_lesion_csv
from mmskin.utils import (ISICFileError, check_image_id, dump_json_atomic, mask_file_name,
                          read_csv_table, write_bytes_atomic, write_csv_atomic)
from mmskin.visualization import draw_lesion_overlay
from .predict import LesionPrediction

#: Suffix of an image's mask or overlay written but not yet committed.
PENDING_SUFFIX = '.pending'
#: Name of the record of the image being committed, in ``out_dir``.
JOURNAL_NAME = '.predictions.journal.json'


def _encode(path: Path, image: np.ndarray, params=()) -> bytes:
    ok, buffer = cv2.imencode(path.suffix, image, list(params))
    if not ok:
        raise OSError(f'{path}: OpenCV could not encode the image as {path.suffix}')
    return buffer.tobytes()


class LesionResultWriter:
    """Writes the outputs of :func:`~mmskin.apis.run_inference` under ``out_dir``.

    * ``predictions.csv``: one row per image (the lesion record,
      :data:`~mmskin.evaluation.LESION_COLUMNS`). Rows of earlier runs into
      the same folder are kept; the row of an image processed again is
      replaced;
    * ``masks/<stem>_segmentation.png``: the mask, 0/255, one channel, at
      the image's size (the ISIC ground-truth format);
    * ``overlays/<stem>.jpg``: the Fig. 4 style drawing.

    An image's three outputs appear together or not at all. Its mask and
    overlay are first written as hidden ``.pending`` files; then
    ``predictions.csv`` is rewritten with its row (atomically: this is the
    commit); then the pending files take their names. A journal
    (:data:`JOURNAL_NAME`, written before the commit) records the image and
    its row, so that a run stopped at any moment is finished or undone: on an
    exception or interruption by :meth:`close`, after ``kill -9`` by the
    next writer that opens the folder (a pending file whose row reached the
    CSV is put in place, any other is removed). Every file goes through
    :func:`mmskin.utils.write_bytes_atomic`. Use as a context manager.

    Raises:
        ISICFileError: ``out_dir`` holds a ``predictions.csv`` that is not
            one (other columns), which would be overwritten.
    """

    def __init__(self, out_dir: Union[str, Path]) -> None:
        self.out_dir = Path(out_dir)
        self.mask_dir = self.out_dir / 'masks'
        self.overlay_dir = self.out_dir / 'overlays'
        self.mask_dir.mkdir(parents=True, exist_ok=True)
        self.overlay_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.out_dir / 'predictions.csv'
        self.journal = self.out_dir / JOURNAL_NAME
        self.recover()
        self._rows = self._read_rows()

    def _read_rows(self) -> Dict[str, List[str]]:
        """The rows of an existing ``predictions.csv``, by image id, after
        checking every value (:func:`~mmskin.evaluation.read_lesion_csv`):
        rows that are kept must be rows this writer could have written."""
        if not self.csv_path.is_file():
            return {}
        header, rows = read_csv_table(self.csv_path, ())
        if tuple(header) != LESION_COLUMNS:
            raise ISICFileError(self.csv_path, f'line 1 {",".join(header)!r} is not the header '
                                'of a predictions.csv of tools/infer.py (expected the columns '
                                f'{",".join(LESION_COLUMNS)}); it would be overwritten: choose '
                                'another --out-dir or remove the file')
        if rows:
            read_lesion_csv(self.csv_path, LESION_COLUMNS)
        return {row[0]: row for _, row in rows}

    def write(self, image_name: str, image: np.ndarray, pred: LesionPrediction,
              gt_mask: Optional[np.ndarray] = None) -> None:
        """Write the mask, the overlay and the CSV row of one image."""
        if pred.mask.shape != image.shape[:2]:
            raise ValueError(f'{image_name}: predicted mask is {pred.mask.shape}, expected the '
                             f'image size {image.shape[:2]}')
        stem = check_image_id(Path(image_name).stem, image_name)
        mask_path = self.mask_dir / mask_file_name(stem)
        overlay_path = self.overlay_dir / f'{stem}.jpg'
        overlay = draw_lesion_overlay(
            image, pred.mask, pred.p_malignant, pred.pred_label,
            bbox=pred.bbox if pred.detected else None, gt_mask=gt_mask)
        contents = {
            mask_path: _encode(mask_path, pred.mask.astype(np.uint8) * 255),
            overlay_path: _encode(overlay_path, overlay, (cv2.IMWRITE_JPEG_QUALITY, 95)),
        }
        moves = []
        for path, data in contents.items():
            pending = path.with_name(f'.{path.name}{PENDING_SUFFIX}')
            write_bytes_atomic(pending, data)
            moves.append((str(pending), str(path)))
        row = pred.to_record(stem).cells()
        dump_json_atomic(dict(image_id=stem, row=row, moves=moves), self.journal)
        rows = dict(self._rows)
        rows[stem] = row
        write_csv_atomic(self.csv_path, LESION_COLUMNS, rows.values())  # the commit
        self._rows = rows
        self._finish(moves)

    def _finish(self, moves: List[List[str]]) -> None:
        for pending, final in moves:
            if os.path.exists(pending):
                os.replace(pending, final)
        self.journal.unlink()

    def recover(self) -> None:
        """Finish or undo an image whose writing was interrupted, and remove
        temporary files left by a killed run."""
        if self.journal.is_file():
            try:
                record = json.loads(self.journal.read_text(encoding='utf-8'))
                image_id, row, moves = record['image_id'], record['row'], record['moves']
            except (ValueError, KeyError, TypeError):  # a journal cut short: nothing committed
                image_id, row, moves = None, None, []
            committed = image_id is not None and self._read_rows().get(image_id) == row
            if committed:
                self._finish(moves)
            else:
                self.journal.unlink()
        for folder in (self.out_dir, self.mask_dir, self.overlay_dir):
            for leftover in folder.iterdir():
                if leftover.name.startswith('.') and leftover.name.endswith(
                        (PENDING_SUFFIX, '.tmp')) and leftover.is_file():
                    leftover.unlink()

    def close(self) -> None:
        """Finish or undo an interrupted image (see :meth:`recover`)."""
        self.recover()

    def __enter__(self) -> 'LesionResultWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
