import pytest
import torch
from mmcv.ops import RoIAlign

from mmskin.models.roi_heads import SparseRoIAlign

# (batch index, x1, y1, x2, y2) in image pixels on a 4-pixel stride map of
# 13 x 17 (52 x 68 pixels): inside, across every border, beyond the map
# (mmcv's zero region outside [-1, size]), a point and a sliver.
ROIS = torch.tensor([
    [0, 4.0, 6.0, 40.0, 30.0],
    [1, -9.0, -7.0, 20.0, 15.0],
    [1, 50.0, 30.0, 90.0, 75.0],
    [0, -30.0, 10.0, 80.0, 14.0],
    [1, 70.0, 60.0, 99.0, 95.0],
    [0, 10.0, 10.0, 10.0, 10.0],
    [1, 3.3, 7.7, 3.9, 51.2],
    [0, 0.0, 0.0, 68.0, 52.0],
])


def _feats(dtype=torch.float32):
    torch.manual_seed(0)
    return torch.randn(2, 5, 13, 17, dtype=dtype)


def _forward_backward(layer, feats, rois):
    feats = feats.clone().requires_grad_(True)
    out = layer(feats, rois)
    weight = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    (out * weight).sum().backward()
    return out.detach(), feats.grad


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [1, 2, 3])
@pytest.mark.parametrize('output_size', [7, (14, 14), (3, 5)])
def test_equals_mmcv_forward_and_backward(aligned, sampling_ratio, output_size):
    args = dict(output_size=output_size, spatial_scale=0.25, sampling_ratio=sampling_ratio,
                aligned=aligned)
    out, grad = _forward_backward(SparseRoIAlign(**args), _feats(), ROIS)
    ref_out, ref_grad = _forward_backward(RoIAlign(**args), _feats(), ROIS)
    assert out.shape == ref_out.shape
    # equal up to the order of the float additions
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-5, atol=1e-5)
    # the RoI beyond the map pools zeros, as in mmcv
    assert (out[4] == 0).all() and (ref_out[4] == 0).all()
    assert out.abs().sum() > 0


def test_float64_is_computed_in_float64():
    feats = _feats(torch.float64)
    out = SparseRoIAlign(7, 0.25, 2)(feats, ROIS.double())
    ref = RoIAlign(7, 0.25, 2)(feats.float(), ROIS).double()
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_bfloat16_features_are_pooled_in_float32():
    feats = _feats(torch.bfloat16)
    out = SparseRoIAlign(7, 0.25, 2)(feats, ROIS)
    ref = RoIAlign(7, 0.25, 2)(feats.float(), ROIS)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), ref, rtol=1e-2, atol=1e-2)


def test_no_rois_and_no_gradient_to_rois():
    layer = SparseRoIAlign((7, 7), 0.25, 2)
    feats = _feats().requires_grad_(True)
    empty = layer(feats, ROIS[:0])
    assert empty.shape == (0, 5, 7, 7)
    rois = ROIS.clone().requires_grad_(True)
    layer(feats, rois).sum().backward()
    assert rois.grad is None and feats.grad is not None


def test_a_nan_roi_pools_nan_and_stays_inside_the_map():
    rois = ROIS.clone()
    rois[2, 1:] = float('nan')
    layer = SparseRoIAlign(7, 0.25, 2)
    out = layer(_feats(), rois)
    assert torch.isnan(out[2]).all()
    torch.testing.assert_close(out[[0, 1, 3]], layer(_feats(), ROIS[[0, 1, 3]]))


@pytest.mark.parametrize('index', [2.0, -1.0, float('nan')])
def test_refuses_a_batch_index_without_a_feature_map(index):
    rois = ROIS.clone()
    rois[1, 0] = index
    with pytest.raises(ValueError, match='outside the 2 feature maps'):
        SparseRoIAlign(7, 0.25, 2)(_feats(), rois)


@pytest.mark.parametrize('kwargs, message', [
    (dict(sampling_ratio=0), 'sampling_ratio > 0'),
    (dict(pool_mode='max'), "'avg' only"),
    (dict(use_torchvision=True), 'use_torchvision=False'),
])
def test_refuses_what_it_does_not_compute(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SparseRoIAlign(7, 0.25, **kwargs)


def test_repeats_bit_for_bit():
    # a resumed run repeats the interrupted one only if every kernel does
    # (large enough for torch to split the products between threads)
    torch.manual_seed(2)
    feats = torch.randn(2, 64, 32, 32)
    rois = ROIS.repeat(25, 1) + torch.rand(200, 5) * torch.tensor([0, 8.0, 8.0, 8.0, 8.0])
    layer = SparseRoIAlign((14, 14), 0.125, 2)
    first = _forward_backward(layer, feats, rois)
    second = _forward_backward(layer, feats, rois)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
