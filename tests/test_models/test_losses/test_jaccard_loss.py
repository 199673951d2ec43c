"""Tests of BCEJaccardLoss (paper Eq. (5)) against an independent numpy reference."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS

import mmskin  # noqa: F401  registers BCEJaccardLoss


def bce_numpy(logits: np.ndarray, target: np.ndarray) -> float:
    y = 1 / (1 + np.exp(-logits))
    return -np.mean(target * np.log(y) + (1 - target) * np.log(1 - y))


def jaccard_numpy(logits: np.ndarray, target: np.ndarray, delta: float) -> float:
    y = 1 / (1 + np.exp(-logits))
    intersection = np.sum(target * y)
    union = np.sum(target + y - target * y)
    return delta * (1 - (intersection + delta) / (union + delta))


def eq5_numpy(logits: np.ndarray, target: np.ndarray, delta: float = 100.0) -> float:
    """Eq. (5) for one RoI: mean per-pixel BCE + delta * Jaccard distance on the m x m grid."""
    return bce_numpy(logits, target) + jaccard_numpy(logits, target, delta)


def dice_numpy(logits: np.ndarray, target: np.ndarray) -> float:
    y = 1 / (1 + np.exp(-logits))
    return 1 - (2 * np.sum(y * target) + 1) / (np.sum(y) + np.sum(target) + 1)


def build(**kwargs) -> torch.nn.Module:
    return MODELS.build(dict(type='BCEJaccardLoss', **kwargs))


def make_rois(num_rois: int = 3, num_classes: int = 2, size: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    pred = rng.normal(scale=2.0, size=(num_rois, num_classes, size, size))
    target = (rng.random((num_rois, size, size)) > 0.6).astype(np.float64)
    label = rng.integers(0, num_classes, size=num_rois)
    return pred, target, label


def test_values_pick_the_label_channel():
    pred, target, label = make_rois()
    loss = build()(torch.tensor(pred), torch.tensor(target), torch.tensor(label),
                   reduction_override='none')
    expected = [eq5_numpy(pred[i, label[i]], target[i]) for i in range(3)]
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10)
    mean = build()(torch.tensor(pred), torch.tensor(target), torch.tensor(label))
    np.testing.assert_allclose(mean.item(), np.mean(expected), rtol=1e-10)


def test_class_agnostic_head_uses_its_only_channel():
    pred, target, _ = make_rois(num_classes=1)
    loss = build()(torch.tensor(pred), torch.tensor(target), torch.tensor([1, 0, 1]),
                   reduction_override='none')
    np.testing.assert_allclose(loss.numpy(), [eq5_numpy(pred[i, 0], target[i]) for i in range(3)],
                               rtol=1e-10)


def test_sums_run_per_roi_not_over_the_batch():
    """A RoI's loss must not depend on which other RoIs share the batch."""
    pred, target, label = make_rois(num_rois=4)
    loss_fn = build()
    together = loss_fn(torch.tensor(pred), torch.tensor(target), torch.tensor(label),
                       reduction_override='none')
    alone = torch.cat([
        loss_fn(torch.tensor(pred[i:i + 1]), torch.tensor(target[i:i + 1]),
                torch.tensor(label[i:i + 1]), reduction_override='none') for i in range(4)
    ])
    torch.testing.assert_close(together, alone)


def test_delta_and_dice_options():
    pred, target, label = make_rois()
    loss = build(delta=10.0, jaccard_weight=0.5, dice_weight=2.0)(
        torch.tensor(pred), torch.tensor(target), torch.tensor(label), reduction_override='none')
    expected = []
    for i in range(3):
        logits = pred[i, label[i]]
        expected.append(
            bce_numpy(logits, target[i]) + 0.5 * jaccard_numpy(logits, target[i], delta=10.0) +
            2.0 * dice_numpy(logits, target[i]))
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10)


def test_without_jaccard_it_is_mmdets_mask_cross_entropy():
    pred, target, label = make_rois(num_rois=5, num_classes=3, seed=1)
    args = (torch.tensor(pred), torch.tensor(target), torch.tensor(label))
    mmdet_bce = MODELS.build(dict(type='CrossEntropyLoss', use_mask=True))(*args)
    torch.testing.assert_close(build(jaccard_weight=0.0)(*args), mmdet_bce[0])


def test_perfect_mask_costs_nothing_and_inverted_mask_costs_the_bound():
    target = torch.zeros(2, 28, 28, dtype=torch.float64)
    target[:, 5:20, 8:24] = 1
    perfect = (target * 2 - 1)[:, None] * 50
    label = torch.zeros(2, dtype=torch.long)
    assert build()(perfect, target, label).item() < 1e-12
    # inverted mask: intersection 0, union 784 -> 100 * 784 / 884, plus a BCE of 50 per pixel
    inverted = build()(-perfect, target, label, reduction_override='none')
    expected = torch.full((2, ), 100 * 784 / 884 + 50, dtype=torch.float64)
    torch.testing.assert_close(inverted, expected)


def test_weight_reduction_avg_factor_and_loss_weight():
    pred, target, label = make_rois(num_rois=4)
    args = (torch.tensor(pred), torch.tensor(target), torch.tensor(label))
    weight = torch.tensor([1.0, 0.0, 2.0, 0.5], dtype=torch.float64)
    loss_fn = build()
    weighted = loss_fn(*args, reduction_override='none') * weight
    torch.testing.assert_close(loss_fn(*args, weight, reduction_override='none'), weighted)
    torch.testing.assert_close(loss_fn(*args, weight, reduction_override='sum'), weighted.sum())
    torch.testing.assert_close(loss_fn(*args, weight), weighted.mean())
    torch.testing.assert_close(loss_fn(*args, weight, avg_factor=3.0), weighted.sum() / 3.0)
    heavier = build(loss_weight=2.0, reduction='sum')
    torch.testing.assert_close(heavier(*args, weight), 2.0 * weighted.sum())


@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_no_positive_rois_give_a_connected_zero(reduction):
    pred = torch.zeros(0, 2, 28, 28, requires_grad=True)
    no_label = torch.zeros(0, dtype=torch.long)
    loss = build(reduction=reduction)(pred, torch.zeros(0, 28, 28), no_label)
    assert loss.item() == 0.0 and loss.grad_fn is not None
    loss.backward()
    assert pred.grad.shape == (0, 2, 28, 28)
    per_roi = build()(pred, torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long),
                      reduction_override='none')
    assert per_roi.shape == (0, )


def test_saturated_logits_stay_finite():
    pred = torch.full((2, 2, 28, 28), 50.0)
    pred[1] = -50.0
    pred.requires_grad_()
    target = torch.zeros(2, 28, 28)
    target[:, :14] = 1
    loss = build(dice_weight=1.0)(pred, target, torch.tensor([0, 1]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(pred.grad).all()
    assert pred.grad.abs().max() > 0


def test_gradcheck():
    pred, target, label = make_rois(size=4)
    pred = torch.tensor(pred, requires_grad=True)
    weight = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    loss_fn = build(delta=3.0, dice_weight=1.0)
    assert torch.autograd.gradcheck(
        lambda x: loss_fn(x, torch.tensor(target), torch.tensor(label), weight), (pred, ))


def test_bad_shapes_are_reported():
    loss_fn = build()
    with pytest.raises(ValueError, match='`target` must have shape'):
        loss_fn(torch.zeros(2, 2, 28, 28), torch.zeros(2, 14, 14), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match='`label` must have shape'):
        loss_fn(torch.zeros(2, 2, 28, 28), torch.zeros(2, 28, 28), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r'\(N, C, m, m\)'):
        loss_fn(torch.zeros(2, 28, 28), torch.zeros(2, 28, 28), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match='weight'):
        loss_fn(torch.zeros(2, 1, 4, 4), torch.zeros(2, 4, 4), torch.zeros(2, dtype=torch.long),
                torch.ones(2, 1))
    with pytest.raises(ValueError, match='delta'):
        build(delta=0.0)
