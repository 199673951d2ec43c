"""mmdet's private surface that mmskin relies on (``MMDET_PRIVATE``): each
entry's shape as mmdet 3.3.0 has it. A failure here after an mmdet upgrade
names what to port before results can silently go wrong."""
import inspect

import numpy as np
import torch
from mmdet.datasets.transforms import Pad
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from mmdet.structures import DetDataSample

from mmskin.models.mmdet_private import MMDET_PRIVATE, mask_forward, restore_unpadded_shape
from mmskin.models.roi_heads import SkinLesionBBoxHead


def _params(function):
    return list(inspect.signature(function).parameters)


def test_every_private_use_is_guarded_here():
    assert set(MMDET_PRIVATE) == {
        'StandardRoIHead._mask_forward', 'BBoxHead._predict_by_feat_single',
        'Pad records the padded size as img_shape'}


def test_mask_forward_returns_the_mask_logits_of_the_rois():
    assert _params(StandardRoIHead._mask_forward)[:3] == ['self', 'x', 'rois']

    class RoIHead:
        def _mask_forward(self, x, rois):
            return dict(mask_preds=rois * 2, mask_feats=None)

    rois = torch.ones(3, 5)
    assert torch.equal(mask_forward(RoIHead(), (torch.zeros(1), ), rois), rois * 2)


def test_the_overridden_post_processing_keeps_its_signature():
    expected = ['self', 'roi', 'cls_score', 'bbox_pred', 'img_meta', 'rescale', 'rcnn_test_cfg']
    assert _params(BBoxHead._predict_by_feat_single) == expected
    assert _params(SkinLesionBBoxHead._predict_by_feat_single) == expected


def test_pad_records_the_padded_size_and_prediction_undoes_it():
    """The pipeline pads to a square and Pad records the padded size as
    img_shape; prediction must clip to the resized photo's size instead."""
    padded = Pad(size=(256, 256))(dict(img=np.zeros((160, 240, 3), np.uint8),
                                       img_shape=(160, 240)))
    assert padded['img_shape'] == (256, 256)
    sample = DetDataSample(metainfo=dict(ori_shape=(100, 150), scale_factor=(1.6, 1.6),
                                         img_shape=padded['img_shape']))
    restore_unpadded_shape(sample)
    assert sample.img_shape == (160, 240)
