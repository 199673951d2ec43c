"""Tests of SkinFocalLoss (paper Eq. (2)) against an independent numpy reference."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.losses import FocalLoss
from mmdet.registry import MODELS

import mmskin  # noqa: F401  registers SkinFocalLoss


def eq2_numpy(p: np.ndarray, y: np.ndarray, alpha: float = 0.25, beta: float = 2.0) -> np.ndarray:
    """Eq. (2) written out literally: p foreground probability, y in {0, 1}."""
    return -alpha * ((1 - p)**beta * y * np.log(p) + p**beta * (1 - y) * np.log(1 - p))


def softmax_numpy(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def build(**kwargs) -> torch.nn.Module:
    return MODELS.build(dict(type='SkinFocalLoss', **kwargs))


LOGITS = np.array([[2.0], [-1.5], [0.3], [4.0], [-3.0], [0.0]])
# mmdet's RPN labels: 0 = foreground, 1 (= num_classes) = background
RPN_LABELS = np.array([0, 0, 1, 1, 1, 0])


def test_sigmoid_form_follows_rpn_label_convention():
    loss = build(use_sigmoid=True)(
        torch.tensor(LOGITS), torch.tensor(RPN_LABELS), reduction_override='none')
    p = 1 / (1 + np.exp(-LOGITS[:, 0]))
    expected = eq2_numpy(p, (RPN_LABELS == 0).astype(float))
    assert loss.shape == (6, 1)
    np.testing.assert_allclose(loss[:, 0].numpy(), expected, rtol=1e-10)


def test_sigmoid_form_accepts_flat_logits():
    loss_fn = build(use_sigmoid=True)
    flat = loss_fn(torch.tensor(LOGITS[:, 0]), torch.tensor(RPN_LABELS), reduction_override='none')
    column = loss_fn(torch.tensor(LOGITS), torch.tensor(RPN_LABELS), reduction_override='none')
    assert flat.shape == (6, )
    torch.testing.assert_close(flat, column[:, 0])


def test_sigmoid_form_several_channels_one_hot_with_background_label():
    logits = np.array([[1.0, -2.0, 0.5], [0.2, 0.4, -0.1], [-1.0, 3.0, 2.0]])
    labels = np.array([2, 3, 0])  # 3 = background: every channel negative
    loss = build(use_sigmoid=True)(
        torch.tensor(logits), torch.tensor(labels), reduction_override='none')
    y = np.zeros_like(logits)
    y[0, 2] = y[2, 0] = 1
    expected = eq2_numpy(1 / (1 + np.exp(-logits)), y)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10)


def test_softmax_form_against_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=(7, 3))
    labels = np.array([0, 1, 2, 2, 1, 0, 2])  # 2 = background
    loss = build(use_sigmoid=False, alpha=0.5, beta=1.5)(
        torch.tensor(logits), torch.tensor(labels), reduction_override='none')
    p_t = softmax_numpy(logits)[np.arange(7), labels]
    expected = -0.5 * (1 - p_t)**1.5 * np.log(p_t)
    assert loss.shape == (7, )
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10)


def test_softmax_form_with_two_classes_is_eq2():
    logits = np.array([[1.0, -0.5], [0.3, 2.0], [-2.0, 1.0], [0.0, 0.0]])
    labels = np.array([0, 0, 1, 1])
    loss = build(use_sigmoid=False)(
        torch.tensor(logits), torch.tensor(labels), reduction_override='none')
    p = softmax_numpy(logits)[:, 0]
    np.testing.assert_allclose(loss.numpy(), eq2_numpy(p, (labels == 0).astype(float)), rtol=1e-10)


def test_alpha_scales_both_terms_unlike_retinanet():
    """RetinaNet weights negatives by 1 - alpha = 0.75; Eq. (2) by alpha = 0.25."""
    logits = torch.tensor([[0.7], [-0.4]])
    labels = torch.tensor([0, 1])  # one positive, one negative anchor
    ours = build(use_sigmoid=True)(logits, labels, reduction_override='none')[:, 0]
    retina = FocalLoss(use_sigmoid=True, alpha=0.25, gamma=2.0)(
        logits, labels, reduction_override='none')[:, 0]
    torch.testing.assert_close(ours[0], retina[0])
    torch.testing.assert_close(ours[1], retina[1] * 0.25 / 0.75)


@pytest.mark.parametrize('use_sigmoid', [True, False])
def test_alpha_one_beta_zero_is_cross_entropy(use_sigmoid):
    logits = torch.tensor([[1.0, -0.5], [0.3, 2.0], [-2.0, 1.0]], dtype=torch.float64)
    labels = torch.tensor([0, 2, 1]) if use_sigmoid else torch.tensor([0, 1, 1])
    loss_fn = build(use_sigmoid=use_sigmoid, alpha=1.0, beta=0.0)
    loss = loss_fn(logits, labels, reduction_override='sum')
    if use_sigmoid:
        y = F.one_hot(labels, 3)[:, :2].double()
        expected = F.binary_cross_entropy_with_logits(logits, y, reduction='sum')
    else:
        expected = F.cross_entropy(logits, labels, reduction='sum')
    torch.testing.assert_close(loss, expected)


@pytest.mark.parametrize('use_sigmoid', [True, False])
def test_weight_reduction_avg_factor_and_loss_weight(use_sigmoid):
    logits = torch.tensor([[1.0, -0.5], [0.3, 2.0], [-2.0, 1.0], [0.5, 0.5]])
    labels = torch.tensor([0, 1, 1, 0])
    weight = torch.tensor([1.0, 0.0, 2.0, 0.5])
    loss_fn = build(use_sigmoid=use_sigmoid)
    per_element = loss_fn(logits, labels, reduction_override='none')
    weighted = per_element * (weight[:, None] if use_sigmoid else weight)

    torch.testing.assert_close(loss_fn(logits, labels, weight, reduction_override='none'), weighted)
    torch.testing.assert_close(
        loss_fn(logits, labels, weight, reduction_override='sum'), weighted.sum())
    torch.testing.assert_close(loss_fn(logits, labels, weight), weighted.mean())
    torch.testing.assert_close(
        loss_fn(logits, labels, weight, avg_factor=3.0), weighted.sum() / 3.0)
    with pytest.raises(ValueError, match='avg_factor'):
        loss_fn(logits, labels, weight, avg_factor=3.0, reduction_override='sum')

    heavier = build(use_sigmoid=use_sigmoid, loss_weight=4.0, reduction='sum')
    torch.testing.assert_close(heavier(logits, labels, weight), 4.0 * weighted.sum())


@pytest.mark.parametrize('use_sigmoid,channels', [(True, 1), (False, 3)])
@pytest.mark.parametrize('avg_factor', [None, 0.0])
def test_zero_anchors_give_a_connected_zero(use_sigmoid, channels, avg_factor):
    logits = torch.zeros(0, channels, requires_grad=True)
    labels = torch.zeros(0, dtype=torch.long)
    loss = build(use_sigmoid=use_sigmoid)(logits, labels, avg_factor=avg_factor)
    assert loss.item() == 0.0
    loss.backward()
    assert logits.grad.shape == (0, channels)


# A confidently wrong first sample costs alpha * (-log p_t) with (1 - p_t)^beta ~ 1:
# sigmoid, a negative channel at logit 50 -> 0.25 * 50; softmax, a margin of 100 -> 0.25 * 100.
@pytest.mark.parametrize('use_sigmoid,wrong_cost', [(True, 12.5), (False, 25.0)])
def test_saturated_logits_stay_finite(use_sigmoid, wrong_cost):
    logits = torch.tensor([[50.0, -50.0], [-50.0, 50.0], [50.0, 50.0]], requires_grad=True)
    labels = torch.tensor([1, 0, 0])
    loss = build(use_sigmoid=use_sigmoid)(logits, labels, reduction_override='none')
    loss.sum().backward()
    assert torch.isfinite(loss).all() and torch.isfinite(logits.grad).all()
    torch.testing.assert_close(loss[0].max(), torch.tensor(wrong_cost))
    assert logits.grad.abs().max() > 0.1  # the wrong sample still gets a gradient


@pytest.mark.parametrize('use_sigmoid', [True, False])
@pytest.mark.parametrize('beta', [2.0, 0.5])
def test_gradcheck(use_sigmoid, beta):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 3, 1]) if use_sigmoid else torch.tensor([0, 1, 2, 2, 1])
    weight = torch.rand(5, dtype=torch.float64, generator=generator)
    loss_fn = build(use_sigmoid=use_sigmoid, beta=beta)
    assert torch.autograd.gradcheck(
        lambda x: loss_fn(x, labels, weight, avg_factor=4.0), (logits, ))


def test_bad_shapes_are_reported():
    with pytest.raises(ValueError, match=r'SkinFocalLoss.*\(N,\)'):
        build(use_sigmoid=False)(torch.zeros(4, 3), torch.zeros(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match='reduction'):
        build(reduction='average')


@pytest.mark.parametrize('use_sigmoid, channels', [(True, 1), (False, 3)])
def test_float32_under_bfloat16_autocast(use_sigmoid, channels):
    """Mixed precision: the loss is computed in float32 from the
    half-precision logits, finite for saturated logits, with finite gradients."""
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn((500, channels), generator=generator) * 30).bfloat16()
    labels = torch.randint(0, channels + (1 if use_sigmoid else 0), (500, ), generator=generator)
    loss_fn = build(use_sigmoid=use_sigmoid)
    pred = logits.clone().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(pred, labels)
    loss.backward()
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, loss_fn(logits.float(), labels), rtol=1e-6, atol=0)
    assert torch.isfinite(pred.grad).all()
