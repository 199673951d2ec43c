"""The three-phase joint training of Song et al. (IEEE JBHI 2020), III-B."""
import bisect
from typing import List, Optional, Sequence, Set, Union

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet.registry import HOOKS

#: ``trainable`` value of a phase in which every parameter trains.
ALL = 'all'


def phase_begins(phases: Sequence[dict], max_iters: int) -> List[int]:
    """The first iteration of each phase in a run of ``max_iters`` iterations:
    an int ``begin`` is an iteration, a float a fraction of the run (rounded
    to the nearest iteration)."""
    return [p['begin'] if isinstance(p['begin'], int) else int(round(p['begin'] * max_iters))
            for p in phases]


def _matches(name: str, prefixes: Sequence[str]) -> bool:
    """Whether a dotted module or parameter name lies under one of the
    prefixes (``'backbone.layer3'`` covers ``'backbone.layer3.0.conv1.weight'``
    but not ``'backbone.layer30'``)."""
    return any(name == p or name.startswith(p + '.') for p in prefixes)


@HOOKS.register_module()
class ThreePhaseTrainingHook(Hook):
    """Train groups of layers in phases: freeze the rest (paper III-B).

    The paper trains "the three convolution subnets" (the RoI heads) for 40
    epochs, then "the layers from the RPN and up" for 80 epochs, then all
    layers for 40 epochs, at 1000 iterations per epoch. The phase table,
    and why each phase trains what it does, is in
    ``configs/_base_/schedules/three_phase_160e.py``. The learning rates are
    the ParamSchedulers' business, not this hook's.

    A phase is ``dict(begin=ITER, trainable=[prefix, ...])``: from iteration
    ``begin`` on (0-based, until the next phase begins) exactly the
    parameters under the given module-name prefixes of the unwrapped model
    train (``'all'`` instead of a list: every parameter). The phase of
    iteration ``t`` is the last one whose ``begin <= t``, derived from
    ``runner.iter`` before training and before every iteration, never from
    counting events, so ``--resume`` at any iteration and every DDP rank
    reach the same phase as an uninterrupted run.

    Frozen parameters do not move at all: ``requires_grad`` is turned off,
    so backward leaves their ``grad`` None (mmengine's ``zero_grad`` is
    torch's, which sets gradients to None, and the hook drops any gradient
    left when a parameter freezes), and SGD skips parameters without a
    gradient: no weight decay, no momentum step. BatchNorm layers under frozen prefixes are put
    back in eval mode before every iteration (the training loop calls
    ``model.train()`` each iteration), so their running statistics stay put.

    The model must be built fully trainable: mmengine's optimizer
    constructor leaves out parameters that are frozen at build time (e.g.
    ``backbone.frozen_stages``), and they could never be unfrozen; the hook
    raises if it finds one. Under DDP, frozen parameters get no gradient,
    so the wrapper needs ``find_unused_parameters=True``; the hook raises if
    it is off.

    Args:
        phases (Sequence[dict]): ``begin`` (the first is 0, strictly
            increasing) and ``trainable`` (list of module-name prefixes, or
            ``'all'``) of each phase. ``begin`` is an iteration (int) or a
            fraction of the run (float in [0, 1), resolved against
            ``runner.max_iters`` before training): with fractions a config
            that changes ``train_cfg.max_iters`` moves the boundaries with
            it. A phase that rounds to no iteration in a short run is
            skipped.
    """

    def __init__(self, phases: Sequence[dict]) -> None:
        self.phases = self._check_phases(phases)
        # Fractions wait for the run's length (before_train).
        self._begins: Optional[List[int]] = (
            None if any(isinstance(p['begin'], float) for p in self.phases)
            else phase_begins(self.phases, 0))
        self._current: Optional[int] = None
        self._frozen_norms: List[nn.Module] = []

    @staticmethod
    def _check_phases(phases: Sequence[dict]) -> List[dict]:
        where = 'ThreePhaseTrainingHook.phases'
        if not phases:
            raise ValueError(f'{where}: expected at least one phase, got none')
        checked = []
        for i, phase in enumerate(phases):
            if set(phase) != {'begin', 'trainable'}:
                raise ValueError(
                    f'{where}[{i}]: expected the keys begin and trainable, '
                    f'got {sorted(phase)}')
            begin, trainable = phase['begin'], phase['trainable']
            if isinstance(begin, bool) or not (
                    isinstance(begin, int) and begin >= 0
                    or isinstance(begin, float) and 0 <= begin < 1):
                raise ValueError(f'{where}[{i}].begin: expected an iteration '
                                 f'>= 0 (int) or a fraction of the run in '
                                 f'[0, 1) (float), got {begin!r}')
            if i == 0 and begin != 0:
                raise ValueError(f'{where}[0].begin: the first phase must '
                                 f'begin at iteration 0, got {begin}')
            if i > 0 and checked[-1]['begin'] != 0 and \
                    type(begin) is not type(checked[-1]['begin']):
                raise ValueError(
                    f'{where}[{i}].begin: expected the same unit as the '
                    f'phase before (iterations or fractions of the run), got '
                    f'{begin!r} after {checked[-1]["begin"]!r}')
            if i > 0 and begin <= checked[-1]['begin']:
                raise ValueError(
                    f'{where}[{i}].begin: phases must begin in increasing '
                    f'order, got {begin} after {checked[-1]["begin"]}')
            if trainable != ALL and (
                    isinstance(trainable, str) or not trainable
                    or not all(isinstance(p, str) and p for p in trainable)):
                raise ValueError(
                    f"{where}[{i}].trainable: expected '{ALL}' or a non-empty "
                    f'list of module-name prefixes, got {trainable!r}')
            checked.append(
                dict(begin=begin,
                     trainable=ALL if trainable == ALL else tuple(trainable)))
        return checked

    def phase_index(self, iteration: int) -> int:
        """0-based index of the phase that iteration ``iteration`` is in."""
        if self._begins is None:
            raise RuntimeError('ThreePhaseTrainingHook: phases given as '
                               'fractions of the run have no iteration before '
                               'before_train has seen runner.max_iters')
        return bisect.bisect_right(self._begins, iteration) - 1

    def before_train(self, runner) -> None:
        """Check the model against the phase table and set the phase of
        ``runner.iter`` (0, or the resumed iteration)."""
        model = self._unwrap(runner.model)
        self._check_model(runner, model)
        self._begins = phase_begins(self.phases, runner.max_iters)
        runner.logger.info('Training phases: ' + '; '.join(
            f'from iteration {begin}: {self._describe(p["trainable"])}'
            for begin, p in zip(self._begins, self.phases)))
        self._current = None
        self._enter(runner, model, self.phase_index(runner.iter))

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Union[dict, tuple, list]] = None
                          ) -> None:
        """Switch phase at a boundary; keep frozen BatchNorm in eval mode."""
        model = self._unwrap(runner.model)
        index = self.phase_index(runner.iter)
        if index != self._current:
            self._enter(runner, model, index)
        for norm in self._frozen_norms:
            norm.eval()

    @staticmethod
    def _unwrap(model: nn.Module) -> nn.Module:
        return model.module if is_model_wrapper(model) else model

    @staticmethod
    def _describe(trainable: Union[str, Sequence[str]]) -> str:
        return 'all parameters' if trainable == ALL else ', '.join(trainable)

    def _trainable(self, index: int, name: str) -> bool:
        trainable = self.phases[index]['trainable']
        return trainable == ALL or _matches(name, trainable)

    def _enter(self, runner, model: nn.Module, index: int) -> None:
        """Apply phase ``index`` to the model and log it."""
        n_train = 0
        params = list(model.named_parameters())
        for name, param in params:
            trains = self._trainable(index, name)
            param.requires_grad_(trains)
            if not trains:
                # A parameter frozen here may have been trainable before:
                # no stale gradient may reach the optimizer.
                param.grad = None
            n_train += trains
        self._frozen_norms = [
            module for name, module in model.named_modules()
            if isinstance(module, _BatchNorm) and name
            and not self._trainable(index, name)
        ]
        for norm in self._frozen_norms:
            norm.eval()
        self._current = index
        phase = self.phases[index]
        runner.logger.info(
            f'Phase {index + 1}/{len(self.phases)} at iteration '
            f'{runner.iter} (begins at {self._begins[index]}): training '
            f'{self._describe(phase["trainable"])} ({n_train} of '
            f'{len(params)} parameter tensors)')

    def _check_model(self, runner, model: nn.Module) -> None:
        """Raise if the phase table cannot be applied to this run."""
        names = [name for name, _ in model.named_parameters()]
        for i, phase in enumerate(self.phases):
            if phase['trainable'] == ALL:
                continue
            for prefix in phase['trainable']:
                if not any(_matches(name, [prefix]) for name in names):
                    children = sorted(n for n, _ in model.named_children())
                    raise ValueError(
                        f'ThreePhaseTrainingHook.phases[{i}].trainable: '
                        f'{prefix!r} names no parameter of '
                        f'{type(model).__name__} (its top-level modules: '
                        f'{", ".join(children)})')
        in_optimizer = self._optimized_param_ids(runner.optim_wrapper)
        trained_later = [
            name for name, param in model.named_parameters()
            if id(param) not in in_optimizer and any(
                self._trainable(i, name) for i in range(len(self.phases)))
        ]
        if trained_later:
            raise ValueError(
                f'ThreePhaseTrainingHook: {len(trained_later)} parameters '
                f'that a phase trains are not in the optimizer (e.g. '
                f'{trained_later[0]}): they were frozen when the model was '
                'built (e.g. backbone.frozen_stages >= 0), and mmengine '
                'leaves such parameters out. Build the model fully '
                'trainable (frozen_stages=-1) and let the hook freeze.')
        wrapper = runner.model
        if (is_model_wrapper(wrapper)
                and hasattr(wrapper, 'find_unused_parameters')
                and not wrapper.find_unused_parameters):
            raise ValueError(
                'ThreePhaseTrainingHook: frozen parameters get no gradient, '
                'which DistributedDataParallel only accepts with '
                'find_unused_parameters=True; set it in the config\'s '
                'model_wrapper_cfg.')

    @staticmethod
    def _optimized_param_ids(optim_wrapper) -> Set[int]:
        wrappers = (
            optim_wrapper.values()
            if isinstance(optim_wrapper, OptimWrapperDict) else [optim_wrapper])
        return {
            id(param)
            for wrapper in wrappers for group in wrapper.param_groups
            for param in group['params']
        }
