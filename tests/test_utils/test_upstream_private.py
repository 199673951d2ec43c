"""The private surface of mmdet and mmengine that mmskin relies on
(``UPSTREAM_PRIVATE``): each entry's shape as mmdet 3.3.0 / mmengine 0.10.7
have it. A failure here after an upgrade names what to port before results
can silently go wrong."""
import inspect

import numpy as np
import torch
from mmdet.datasets.transforms import Pad
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from mmdet.structures import DetDataSample
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.runner.checkpoint import load_checkpoint as mmengine_load_checkpoint

from mmskin.models.roi_heads import SkinLesionBBoxHead
from mmskin.utils.upstream_private import (UPSTREAM_PRIVATE, checkpoint_schemes,
                                           load_checkpoint_to_model, mask_forward,
                                           restore_unpadded_shape)


def _params(function):
    return list(inspect.signature(function).parameters)


def test_every_private_use_is_guarded_here():
    assert set(UPSTREAM_PRIVATE) == {
        'StandardRoIHead._mask_forward', 'BBoxHead._predict_by_feat_single',
        'Pad records the padded size as img_shape', 'mmengine CheckpointLoader._schemes',
        'mmengine _load_checkpoint_to_model'}


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


def test_checkpoint_schemes_is_the_live_registry_of_loaders():
    def loader(filename, map_location=None):
        return dict(state_dict={})

    CheckpointLoader.register_scheme(prefixes='mmskin-test://', loader=loader)
    try:
        assert checkpoint_schemes()['mmskin-test://'] is loader
    finally:
        del checkpoint_schemes()['mmskin-test://']
    assert 'mmskin-test://' not in CheckpointLoader._schemes


def test_load_checkpoint_to_model_is_what_the_runner_loads_with():
    assert '_load_checkpoint_to_model' in inspect.getsource(mmengine_load_checkpoint)
    model = torch.nn.Linear(2, 1)
    weights = dict(state_dict={'weight': torch.ones(1, 2), 'bias': torch.zeros(1)})
    load_checkpoint_to_model(model, weights, strict=True)
    assert torch.equal(model.weight, torch.ones(1, 2))
    assert _params(load_checkpoint_to_model)[:3] == ['model', 'checkpoint', 'strict']
