"""Writing the outputs of inference on new photos, one image at a time, all
of an image's files or none."""
import json
import os
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union

import cv2
import numpy as np

from mmskin.evaluation import ABCD_COLUMNS, LESION_COLUMNS, prediction_columns, read_lesion_csv
from mmskin.utils import (ISICFileError, check_image_id, dump_json_atomic, mask_file_name,
                          read_csv_table, write_bytes_atomic, write_csv_atomic)
from mmskin.visualization import draw_lesion_overlay, draw_saliency
from .predict import LesionPrediction

#: Suffix of an image's mask or overlay written but not yet committed.
PENDING_SUFFIX = '.pending'
#: Name of the record of the image being committed, in ``out_dir``.
JOURNAL_NAME = '.predictions.journal.json'
_JPEG_PARAMS = (cv2.IMWRITE_JPEG_QUALITY, 95)


def _encode(path: Path, image: np.ndarray, params=()) -> bytes:
    ok, buffer = cv2.imencode(path.suffix, image, list(params))
    if not ok:
        raise OSError(f'{path}: OpenCV could not encode the image as {path.suffix}')
    return buffer.tobytes()


def encode_mask_png(mask: np.ndarray) -> bytes:
    """A predicted mask as the PNG ``masks/<stem>_segmentation.png`` holds:
    0/255, one channel (the ISIC ground-truth format)."""
    return _encode(Path('mask.png'), mask.astype(np.uint8) * 255)


def draw_prediction(image: np.ndarray, pred: LesionPrediction,
                    gt_mask: Optional[np.ndarray] = None) -> np.ndarray:
    """The Fig. 4 overlay of ``overlays/<stem>.jpg`` (BGR, before encoding)."""
    return draw_lesion_overlay(image, pred.mask, pred.p_malignant, pred.pred_label,
                               bbox=pred.bbox if pred.detected else None, gt_mask=gt_mask)


class LesionResultWriter:
    """Writes the outputs of :func:`~mmskin.apis.run_inference` under ``out_dir``.

    * ``predictions.csv``: one row per image (the lesion record,
      :data:`~mmskin.evaluation.LESION_COLUMNS`, and with ``abcd`` the ABCD
      features of the predicted lesion,
      :data:`~mmskin.evaluation.ABCD_COLUMNS`). Rows of earlier runs into
      the same folder are kept; the row of an image processed again is
      replaced. The ABCD columns stay once a file has them; the rows
      written without them get empty cells there;
    * ``masks/<stem>_segmentation.png``: the mask, 0/255, one channel, at
      the image's size (the ISIC ground-truth format);
    * ``overlays/<stem>.jpg``: the Fig. 4 style drawing;
    * ``cams/<stem>.jpg``: with a saliency map, the map drawn on the photo
      (:func:`~mmskin.visualization.draw_saliency`); a folder of its own, so
      that no image's name can be another's map. Written without one, an
      image loses the map of an earlier run, which would no longer explain
      its prediction.

    An image's outputs appear together or not at all. Its mask and
    overlay (and map) are first written as hidden ``.pending`` files; then
    ``predictions.csv`` is rewritten with its row (atomically: this is the
    commit); then the pending files take their names. A journal
    (:data:`JOURNAL_NAME`, written before the commit) records the image and
    its row, so that a run stopped at any moment is finished or undone: on an
    exception or interruption by :meth:`close`, after ``kill -9`` by the
    next writer that opens the folder (a pending file whose row reached the
    CSV is put in place, any other is removed). Every file goes through
    :func:`mmskin.utils.write_bytes_atomic`. Use as a context manager.

    Args:
        out_dir: the output folder, created if needed.
        abcd: write the ABCD columns.

    Raises:
        ISICFileError: ``out_dir`` holds a ``predictions.csv`` that is not
            one (other columns), which would be overwritten.
    """

    def __init__(self, out_dir: Union[str, Path], abcd: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.mask_dir = self.out_dir / 'masks'
        self.overlay_dir = self.out_dir / 'overlays'
        self.cam_dir = self.out_dir / 'cams'  # made by the first map written
        self.mask_dir.mkdir(parents=True, exist_ok=True)
        self.overlay_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.out_dir / 'predictions.csv'
        self.journal = self.out_dir / JOURNAL_NAME
        self.columns = prediction_columns(abcd)
        self.recover()
        self._rows = self._read_rows()

    def _read_rows(self) -> Dict[str, List[str]]:
        """The rows of an existing ``predictions.csv``, by image id, after
        checking every value (:func:`~mmskin.evaluation.read_lesion_csv`):
        rows that are kept must be rows this writer could have written."""
        if not self.csv_path.is_file():
            return {}
        header, rows = read_csv_table(self.csv_path, ())
        known = (prediction_columns(abcd=False), prediction_columns(abcd=True))
        if tuple(header) not in known:
            raise ISICFileError(self.csv_path, f'line 1 {",".join(header)!r} is not the header '
                                'of a predictions.csv of tools/infer.py (expected the columns '
                                f'{",".join(LESION_COLUMNS)}, optionally followed by '
                                f'{",".join(ABCD_COLUMNS)}); it would be overwritten: choose '
                                'another --out-dir or remove the file')
        if tuple(header) == known[1]:
            self.columns = known[1]
        if rows:
            read_lesion_csv(self.csv_path, LESION_COLUMNS)
        return {row[0]: row + [''] * (len(self.columns) - len(header)) for _, row in rows}

    def write(self, image_name: str, image: np.ndarray, pred: LesionPrediction,
              gt_mask: Optional[np.ndarray] = None, cam: Optional[np.ndarray] = None,
              features: Optional[Mapping[str, float]] = None) -> None:
        """Write the mask, the overlay, the saliency map ``cam`` (float (H, W)
        in [0, 1], e.g. :func:`~mmskin.apis.lesion_cam`) if given, and the
        CSV row of one image, with its ABCD ``features`` when the file has
        their columns."""
        if pred.mask.shape != image.shape[:2]:
            raise ValueError(f'{image_name}: predicted mask is {pred.mask.shape}, expected the '
                             f'image size {image.shape[:2]}')
        stem = check_image_id(Path(image_name).stem, image_name)
        mask_path = self.mask_dir / mask_file_name(stem)
        overlay_path = self.overlay_dir / f'{stem}.jpg'
        cam_path = self.cam_dir / f'{stem}.jpg'
        overlay = draw_prediction(image, pred, gt_mask)
        contents = {
            mask_path: encode_mask_png(pred.mask),
            overlay_path: _encode(overlay_path, overlay, _JPEG_PARAMS),
        }
        if cam is not None:
            self.cam_dir.mkdir(exist_ok=True)
            contents[cam_path] = _encode(cam_path, draw_saliency(image, cam), _JPEG_PARAMS)
        moves = []
        for path, data in contents.items():
            pending = path.with_name(f'.{path.name}{PENDING_SUFFIX}')
            write_bytes_atomic(pending, data)
            moves.append((str(pending), str(path)))
        if cam is None:
            moves.append((None, str(cam_path)))
        row = pred.to_record(stem).cells(features)
        row += [''] * (len(self.columns) - len(row))
        dump_json_atomic(dict(image_id=stem, row=row, moves=moves), self.journal)
        rows = dict(self._rows)
        rows[stem] = row
        write_csv_atomic(self.csv_path, self.columns, rows.values())  # the commit
        self._rows = rows
        self._finish(moves)

    def _finish(self, moves: List[List[Optional[str]]]) -> None:
        """Put the pending files in place; a move from None removes an
        earlier run's file that the committed row no longer goes with."""
        for pending, final in moves:
            if pending is None:
                if os.path.exists(final):
                    os.remove(final)
            elif os.path.exists(pending):
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
        for folder in (self.out_dir, self.mask_dir, self.overlay_dir, self.cam_dir):
            if not folder.is_dir():
                continue
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
