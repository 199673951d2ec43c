"""Stop training cleanly when the loss stops being a number."""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmdet.registry import HOOKS


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` naming the iteration and every loss
    term as soon as the total loss is NaN or infinite.

    It runs before the checkpoint hook of the same iteration, so no
    checkpoint with corrupted weights is written and the last good one stays
    the one ``--resume`` picks up. (mmdet's ``CheckInvalidLossHook`` stops
    with a bare ``AssertionError`` instead.)
    """

    priority = 'HIGH'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or 'loss' not in outputs:
            return
        loss = float(outputs['loss'].detach()) if torch.is_tensor(outputs['loss']) \
            else float(outputs['loss'])
        if math.isfinite(loss):
            return
        terms = ', '.join(f'{name}={float(value):.4g}' for name, value in outputs.items()
                          if name != 'loss' and (torch.is_tensor(value)
                                                 or isinstance(value, (int, float))))
        raise NonFiniteLossError(
            f'iteration {runner.iter + 1}: the loss is {loss} ({terms}). Training stopped '
            f'before saving this iteration; the checkpoints in {runner.work_dir} are kept. '
            'Resume from the last one with a lower learning rate or stronger gradient '
            'clipping (optim_wrapper.clip_grad).')
