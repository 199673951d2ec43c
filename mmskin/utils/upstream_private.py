"""The private parts of mmdet 3.3.0 and mmengine 0.10.7 that mmskin relies
on, in one place.

Neither package has a public call for these; an upgrade may change them
without notice, so each is listed in :data:`UPSTREAM_PRIVATE`, reached only
through this module and guarded by ``tests/test_utils/test_upstream_private.py``,
which fails on a release whose private surface changed before any result can
silently go wrong.
"""
from typing import Dict, Tuple

from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint_to_model
from torch import Tensor

#: What mmskin uses that mmdet or mmengine does not publish, and where.
UPSTREAM_PRIVATE = {
    'StandardRoIHead._mask_forward':
    'runs the mask head on the kept lesion\'s RoIs only (mask_forward, used by '
    'SkinLesionMaskRCNN)',
    'BBoxHead._predict_by_feat_single':
    'overridden by SkinLesionBBoxHead to keep each detection\'s softmax',
    'Pad records the padded size as img_shape':
    'undone by restore_unpadded_shape before prediction (SkinLesionMaskRCNN.predict)',
    'mmengine CheckpointLoader._schemes':
    'read and restored by checkpoint_loaders (no public way to read or remove a loader)',
    'mmengine _load_checkpoint_to_model':
    'what Runner.load_checkpoint calls; load_weights uses it after its own checks',
}

#: mmengine's loader of a state dict into a model (prefix handling, non-strict
#: loading), as its ``Runner.load_checkpoint`` calls it.
load_checkpoint_to_model = _load_checkpoint_to_model


def checkpoint_schemes() -> Dict[str, object]:
    """mmengine's registered checkpoint loaders, prefix -> loader: the live
    dict, so removing a key unregisters that loader. ``register_scheme``
    replaces the dict, so ask again after registering."""
    return CheckpointLoader._schemes


def mask_forward(roi_head, x: Tuple[Tensor, ...], rois: Tensor) -> Tensor:
    """Mask logits (n, classes, 28, 28) of ``rois`` from a ``StandardRoIHead``."""
    return roi_head._mask_forward(x, rois)['mask_preds']


def restore_unpadded_shape(data_sample) -> None:
    """Set ``img_shape`` back to the resized image without its padding.

    The paper's pipeline pads every image to a fixed square in the data
    pipeline (II-A-1), and mmdet's ``Pad`` then records the padded size as
    ``img_shape``. Proposals and boxes are clipped to ``img_shape``, so on a
    non-square photo they could reach into the padding, and a box lying
    wholly inside it breaks mmdet's mask pasting. The resized size is
    ``ori_shape * scale_factor``, as mmdet's own pipelines (padding in the
    data preprocessor) leave it.
    """
    if 'scale_factor' not in data_sample:
        return
    height, width = data_sample.ori_shape[:2]
    w_scale, h_scale = data_sample.scale_factor[:2]
    data_sample.set_metainfo(dict(img_shape=(round(height * h_scale), round(width * w_scale))))
