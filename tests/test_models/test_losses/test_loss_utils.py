"""The per-RoI machinery both mask losses share (``RoIMaskLoss``)."""
import pytest
import torch

from mmdet.registry import MODELS

import mmskin  # noqa: F401  registers the losses


@pytest.mark.parametrize('loss_type', ['BCEJaccardLoss', 'BCEDiceLoss'])
def test_float32_under_bfloat16_autocast(loss_type):
    """Mixed precision: the loss is computed in float32 from the
    half-precision logits, finite for saturated logits, with finite gradients."""
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn((16, 2, 28, 28), generator=generator) * 30).bfloat16()
    target = (torch.rand((16, 28, 28), generator=generator) > 0.5).float()
    labels = torch.randint(0, 2, (16, ), generator=generator)
    loss_fn = MODELS.build(dict(type=loss_type))
    pred = logits.clone().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(pred, target, labels)
    loss.backward()
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, loss_fn(logits.float(), target, labels), rtol=1e-6, atol=0)
    assert torch.isfinite(pred.grad).all()
