"""mmdet's RoI extractor with RoI layers from the model registry too."""
from typing import List

from mmcv import ops
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from mmdet.utils import ConfigType
from torch import nn


@MODELS.register_module()
class LesionRoIExtractor(SingleRoIExtractor):
    """``SingleRoIExtractor`` (FPN's level mapping, the same arguments)
    whose ``roi_layer`` type may name a layer registered in mmdet's
    ``MODELS`` as well as one of ``mmcv.ops`` (mmdet's extractor looks in
    ``mmcv.ops`` only), e.g. :class:`~mmskin.models.roi_heads.SparseRoIAlign`::

        bbox_roi_extractor=dict(
            type='LesionRoIExtractor',
            roi_layer=dict(type='SparseRoIAlign', output_size=7, sampling_ratio=2),
            out_channels=256, featmap_strides=[4, 8, 16, 32])
    """

    def build_roi_layers(self, layer_cfg: ConfigType,
                         featmap_strides: List[int]) -> nn.ModuleList:
        layer_type = layer_cfg.get('type')
        if isinstance(layer_type, str) and not hasattr(ops, layer_type):
            layer_cls = MODELS.get(layer_type)
            if layer_cls is None:
                raise KeyError(f'roi_layer type {layer_type!r} is neither in mmcv.ops nor '
                               'registered in mmdet MODELS (is its package imported?)')
            layer_cfg = {**layer_cfg, 'type': layer_cls}
        return super().build_roi_layers(layer_cfg, featmap_strides)
