"""Data samples shaped as the mmengine Evaluator hands them to metrics."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import BaseDataElement, InstanceData


def _make_sample(image_id, gt_mask, pred_mask, gt_label, p_malignant, detected=True):
    """``DetDataSample.to_dict()`` of one image with ``pred_lesion`` and ground truth.

    ``gt_label=None`` gives an image without annotation.
    """
    h, w = gt_mask.shape
    sample = DetDataSample(metainfo=dict(img_id=int(image_id[-3:]),
                                         img_path=f'/data/{image_id}.jpg', ori_shape=(h, w)))
    labels = [] if gt_label is None else [gt_label]
    masks = gt_mask[None] if gt_label is not None else np.zeros((0, h, w), np.uint8)
    sample.gt_instances = InstanceData(labels=torch.tensor(labels, dtype=torch.long),
                                       masks=BitmapMasks(masks.astype(np.uint8), h, w))
    bbox = [0., 0., 0., 0.]
    if pred_mask.any():
        ys, xs = np.nonzero(pred_mask)
        bbox = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    sample.pred_lesion = BaseDataElement(
        p_malignant=float(p_malignant), pred_label=int(p_malignant > 0.5),
        score=0.9 if detected else 0.0, bbox=torch.tensor(bbox, dtype=torch.float32),
        mask=torch.from_numpy(pred_mask.astype(bool)), detected=detected)
    return sample.to_dict()


@pytest.fixture
def make_sample():
    """``make_sample(image_id, gt_mask, pred_mask, gt_label, p_malignant, detected=True)``."""
    return _make_sample
