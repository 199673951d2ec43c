"""Writing the outputs of inference on new photos."""
import csv
from pathlib import Path
from typing import Optional, Union

import cv2
import numpy as np

from mmskin.evaluation import LESION_COLUMNS
from mmskin.utils import mask_file_name, write_image_atomic, write_mask_atomic
from mmskin.visualization import draw_lesion_overlay
from .predict import LesionPrediction


class LesionResultWriter:
    """Writes the outputs of :func:`~mmskin.apis.run_inference` under ``out_dir``.

    * ``predictions.csv``: one row per image (the lesion record,
      :data:`~mmskin.evaluation.LESION_COLUMNS`), flushed after each row so
      that an interrupted run keeps every finished image;
    * ``masks/<stem>_segmentation.png``: the mask, 0/255, one channel, at
      the image's size (the ISIC ground-truth format);
    * ``overlays/<stem>.jpg``: the Fig. 4 style drawing.

    Image files are written atomically. Use as a context manager.
    """

    def __init__(self, out_dir: Union[str, Path]) -> None:
        self.out_dir = Path(out_dir)
        self.mask_dir = self.out_dir / 'masks'
        self.overlay_dir = self.out_dir / 'overlays'
        self.mask_dir.mkdir(parents=True, exist_ok=True)
        self.overlay_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.out_dir / 'predictions.csv'
        self._file = open(self.csv_path, 'w', newline='')
        self._csv = csv.writer(self._file)
        self._csv.writerow(LESION_COLUMNS)
        self._file.flush()

    def write(self, image_name: str, image: np.ndarray, pred: LesionPrediction,
              gt_mask: Optional[np.ndarray] = None) -> None:
        """Write the mask, the overlay and the CSV row of one image."""
        if pred.mask.shape != image.shape[:2]:
            raise ValueError(f'{image_name}: predicted mask is {pred.mask.shape}, expected the '
                             f'image size {image.shape[:2]}')
        stem = Path(image_name).stem
        write_mask_atomic(self.mask_dir / mask_file_name(stem), pred.mask)
        overlay = draw_lesion_overlay(
            image, pred.mask, pred.p_malignant, pred.label,
            bbox=pred.bbox if pred.detected else None, gt_mask=gt_mask)
        write_image_atomic(self.overlay_dir / f'{stem}.jpg', overlay,
                           (cv2.IMWRITE_JPEG_QUALITY, 95))
        self._csv.writerow(pred.to_record(stem).cells())
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> 'LesionResultWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
