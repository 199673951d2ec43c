"""Tests of BCEDiceLoss (the Dice ablation) against an independent numpy reference."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS

import mmskin  # noqa: F401  registers BCEDiceLoss


def bce_dice_numpy(logits: np.ndarray, target: np.ndarray, smooth: float = 1.0) -> float:
    """Mean per-pixel BCE + Dice distance on one RoI's m x m grid."""
    y = 1 / (1 + np.exp(-logits))
    bce = -np.mean(target * np.log(y) + (1 - target) * np.log(1 - y))
    return bce + 1 - (2 * np.sum(y * target) + smooth) / (np.sum(y) + np.sum(target) + smooth)


def build(**kwargs) -> torch.nn.Module:
    return MODELS.build(dict(type='BCEDiceLoss', **kwargs))


def make_rois(num_rois: int = 3, num_classes: int = 2, size: int = 6):
    rng = np.random.default_rng(2)
    pred = rng.normal(scale=2.0, size=(num_rois, num_classes, size, size))
    target = (rng.random((num_rois, size, size)) > 0.5).astype(np.float64)
    label = rng.integers(0, num_classes, size=num_rois)
    return pred, target, label


@pytest.mark.parametrize('smooth', [1.0, 0.1])
def test_values_against_numpy(smooth):
    pred, target, label = make_rois()
    loss = build(smooth=smooth)(torch.tensor(pred), torch.tensor(target), torch.tensor(label),
                                reduction_override='none')
    expected = [bce_dice_numpy(pred[i, label[i]], target[i], smooth) for i in range(3)]
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10)


def test_empty_target_predicted_empty_costs_nothing():
    pred = torch.full((1, 1, 8, 8), -50.0)
    loss = build()(pred, torch.zeros(1, 8, 8), torch.zeros(1, dtype=torch.long))
    assert loss.item() < 1e-12


def test_weight_reduction_and_avg_factor():
    pred, target, label = make_rois(num_rois=4)
    args = (torch.tensor(pred), torch.tensor(target), torch.tensor(label))
    weight = torch.tensor([1.0, 0.0, 2.0, 0.5], dtype=torch.float64)
    loss_fn = build(loss_weight=3.0)
    weighted = loss_fn(*args, reduction_override='none') * weight
    torch.testing.assert_close(loss_fn(*args, weight, reduction_override='sum'), weighted.sum())
    torch.testing.assert_close(loss_fn(*args, weight), weighted.mean())
    torch.testing.assert_close(loss_fn(*args, weight, avg_factor=2.0), weighted.sum() / 2.0)


def test_no_positive_rois_give_a_connected_zero():
    pred = torch.zeros(0, 2, 28, 28, requires_grad=True)
    loss = build()(pred, torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long))
    assert loss.item() == 0.0
    loss.backward()
    assert pred.grad.shape == (0, 2, 28, 28)


def test_saturated_logits_stay_finite():
    pred = torch.tensor([50.0, -50.0]).repeat_interleave(2 * 28 * 28).view(2, 2, 28, 28)
    pred.requires_grad_()
    target = torch.zeros(2, 28, 28)
    target[:, 3:9] = 1
    loss = build()(pred, target, torch.tensor([1, 0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(pred.grad).all()


def test_gradcheck():
    pred, target, label = make_rois(size=4)
    pred = torch.tensor(pred, requires_grad=True)
    loss_fn = build(smooth=0.5)
    assert torch.autograd.gradcheck(
        lambda x: loss_fn(x, torch.tensor(target), torch.tensor(label), avg_factor=2.0), (pred, ))
