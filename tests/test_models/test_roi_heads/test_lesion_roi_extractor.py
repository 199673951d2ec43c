import pytest
import torch
from mmcv.ops import RoIAlign
from mmdet.registry import MODELS

from mmskin.models.roi_heads import LesionRoIExtractor, SparseRoIAlign


def _extractor(layer_type, **layer):
    return MODELS.build(dict(type='LesionRoIExtractor', out_channels=5, featmap_strides=[4, 8],
                             roi_layer=dict(type=layer_type, output_size=7, **layer)))


def test_extractor_builds_registered_and_mmcv_layers_alike():
    sparse = _extractor('SparseRoIAlign', sampling_ratio=2)
    mmcv = _extractor('RoIAlign', sampling_ratio=2)
    assert isinstance(sparse, LesionRoIExtractor)
    assert [type(layer) for layer in sparse.roi_layers] == [SparseRoIAlign] * 2
    assert [type(layer) for layer in mmcv.roi_layers] == [RoIAlign] * 2
    assert [layer.spatial_scale for layer in sparse.roi_layers] == [0.25, 0.125]
    torch.manual_seed(1)
    feats = (torch.randn(2, 5, 16, 20), torch.randn(2, 5, 8, 10))
    # small RoIs go to the stride-4 map, large ones to the stride-8 map
    rois = torch.tensor([[0, 2.0, 3.0, 20.0, 25.0], [1, 0.0, 0.0, 79.0, 63.0],
                         [1, 30.0, 10.0, 50.0, 40.0]])
    torch.testing.assert_close(sparse(feats, rois), mmcv(feats, rois), rtol=1e-5, atol=1e-5)


def test_extractor_names_an_unknown_layer():
    with pytest.raises(KeyError, match="'NoSuchAlign' is neither in mmcv.ops nor registered"):
        _extractor('NoSuchAlign')
