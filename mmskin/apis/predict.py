"""Running a lesion model on one photo (paper II-B-3, "results combination")."""
import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseTTAModel
from mmengine.structures import BaseDataElement

from mmskin.evaluation import LesionRecord
from .model import build_test_pipeline


@dataclass(frozen=True)
class LesionPrediction:
    """The combined result of one image (paper II-B-3), as numpy values.

    Attributes:
        p_malignant: probability of malignancy.
        pred_label: 0 benign, 1 malignant (``ISIC_CLASSES`` order).
        score: the score the kept detection was ranked by (see
            :class:`LesionRecord`); 0.0 without detection.
        bbox: float32 ``(x0, y0, x1, y1)`` at the image's resolution, zeros
            without detection.
        mask: bool (H, W) at the image's resolution.
        detected: whether the detector found a lesion.
    """
    p_malignant: float
    pred_label: int
    score: float
    bbox: np.ndarray
    mask: np.ndarray
    detected: bool

    @classmethod
    def from_data_element(cls, lesion: BaseDataElement) -> 'LesionPrediction':
        """From the ``pred_lesion`` that ``SkinLesionMaskRCNN.predict`` adds."""
        return cls(
            p_malignant=float(lesion.p_malignant),
            pred_label=int(lesion.pred_label),
            score=float(lesion.score),
            bbox=lesion.bbox.detach().cpu().numpy().astype(np.float32),
            mask=lesion.mask.detach().cpu().numpy().astype(bool),
            detected=bool(lesion.detected))

    def to_record(self, image_id: str) -> LesionRecord:
        """The row this prediction gets in ``predictions.csv``."""
        return LesionRecord.from_lesion(image_id, vars(self))


def predict_lesion(model: nn.Module, image: np.ndarray, pipeline: Optional[Compose] = None,
                   threshold: float = 0.5) -> LesionPrediction:
    """Run the model on one BGR uint8 image (H, W, 3), e.g. from :func:`read_image`.

    Args:
        model: from :func:`init_lesion_model`.
        image: the photo; the prediction has its size.
        pipeline: :func:`build_test_pipeline` of ``model.cfg`` (with
            ``tta=True`` for a test-time augmentation model); built on each
            call if not given.
        threshold: ``pred_label`` is 1 iff ``p_malignant > threshold`` (the
            ISIC rule at its 0.5 by default; an operating point otherwise).
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be BGR uint8 (H, W, 3), got {image.dtype} {image.shape}')
    if pipeline is None:
        pipeline = build_test_pipeline(model.cfg, tta=isinstance(model, BaseTTAModel))
    # A batch of one, views and all, as the test dataloader collates it.
    batch = pseudo_collate([pipeline(dict(img=image, img_id=0))])
    with torch.no_grad():
        sample = model.test_step(batch)[0]
    prediction = LesionPrediction.from_data_element(sample.pred_lesion)
    return dataclasses.replace(prediction, pred_label=int(prediction.p_malignant > threshold))
