"""bfloat16 for parts of the detector while it trains on a CPU."""
from typing import Any, List, Optional

import torch
from torch import nn

#: ``train_feature_dtype`` values
FEATURE_DTYPES = ('float32', 'bfloat16', 'auto')
#: the heads ``train_bf16_heads`` may name, each with its path in the detector
BF16_HEADS = {'rpn_head': 'rpn_head', 'mask_head': 'roi_head.mask_head'}


def to_float32(output: Any) -> Any:
    """``output`` with every bfloat16 tensor in it (also inside tuples and
    lists, as mmdet's dense heads return them) cast to float32."""
    if isinstance(output, torch.Tensor):
        return output.float() if output.dtype == torch.bfloat16 else output
    if isinstance(output, (tuple, list)):
        return type(output)(to_float32(item) for item in output)
    return output


def autocast_while_training(module: nn.Module) -> None:
    """Run ``module``'s forward under ``torch.autocast('cpu', bfloat16)``
    while it trains with its parameters on a CPU, and give its output back in
    float32: what reads it (mmcv's NMS and RoIAlign, the losses) computes as
    without. In eval mode, or with the parameters elsewhere, the forward is
    untouched.

    Forward hooks, not a wrapper: mmdet calls the head as it always does
    (``self(x)`` inside ``loss_and_predict``, ``self.mask_head(feats)``), its
    state dict keeps its keys, and a deep copy keeps the behaviour. The hook
    that leaves autocast runs even when the forward raises.
    """
    entered: List[Optional[torch.autocast]] = []

    def enter(mod: nn.Module, args: tuple) -> None:
        context = None
        if mod.training and next(mod.parameters()).device.type == 'cpu':
            context = torch.autocast('cpu', dtype=torch.bfloat16)
            context.__enter__()
        entered.append(context)

    def leave(mod: nn.Module, args: tuple, output: Any) -> Any:
        context = entered.pop()
        if context is None:
            return None
        context.__exit__(None, None, None)
        return to_float32(output)

    module.register_forward_pre_hook(enter)
    module.register_forward_hook(leave, always_call=True)
