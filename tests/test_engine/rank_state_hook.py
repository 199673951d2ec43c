"""A hook for the distributed-training test: every rank saves its model's
parameters before and after training (``rank{R}_start.pth``,
``rank{R}_end.pth`` in the work dir). Loaded by the training processes
through the config's ``custom_imports``."""
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS


@HOOKS.register_module()
class RankStateHook(Hook):
    """Save this rank's parameters when training starts and ends."""

    priority = 'LOWEST'  # after the phase hook and weight loading

    def _save(self, runner, when: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = {n: p.detach().cpu().clone() for n, p in model.named_parameters()}
        torch.save(state, osp.join(runner.work_dir, f'rank{runner.rank}_{when}.pth'))

    def before_train(self, runner) -> None:
        self._save(runner, 'start')

    def after_train(self, runner) -> None:
        self._save(runner, 'end')
