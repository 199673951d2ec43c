"""ThreePhaseTrainingHook driven by a mock runner around a small torch model."""
import copy
import logging
from unittest.mock import MagicMock

import pytest
import torch
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from mmskin.engine import ThreePhaseTrainingHook

PHASES = [
    dict(begin=0, trainable=['roi_head']),
    dict(begin=3, trainable=['backbone.layer3', 'neck', 'rpn_head', 'roi_head']),
    dict(begin=5, trainable='all'),
]


def block(channels: int = 4) -> nn.Module:
    return nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1),
                         nn.BatchNorm2d(channels), nn.ReLU())


class TinyDetector(nn.Module):
    """The top-level layout of mmdet's two-stage detectors."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.stem = block()
        self.backbone.layer3 = block()
        self.neck = block()
        self.rpn_head = nn.Conv2d(4, 2, 1)
        self.roi_head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.neck(self.backbone.layer3(self.backbone.stem(x)))
        return self.roi_head(features).sum() + self.rpn_head(features).sum()


def make_runner(model: nn.Module, iteration: int = 0, momentum: float = 0.9):
    runner = MagicMock()
    runner.model = model
    runner.iter = iteration
    runner.max_iters = 8
    runner.logger = logging.getLogger('test_three_phase_hook')
    unwrapped = getattr(model, 'module', model)
    runner.optim_wrapper = OptimWrapper(torch.optim.SGD(
        unwrapped.parameters(), lr=0.1, momentum=momentum, weight_decay=0.1))
    return runner


def trainable_names(model: nn.Module) -> set:
    return {name for name, p in model.named_parameters() if p.requires_grad}


def names_under(model: nn.Module, *prefixes: str) -> set:
    return {
        name for name, _ in model.named_parameters()
        if any(name.startswith(p + '.') for p in prefixes)
    }


def train_steps(runner, hook, model, steps: int) -> None:
    """What IterBasedTrainLoop does around each iteration."""
    for _ in range(steps):
        model.train()
        hook.before_train_iter(runner, batch_idx=runner.iter)
        loss = model(torch.ones(2, 4, 6, 6))
        runner.optim_wrapper.update_params(loss)
        runner.iter += 1


@pytest.mark.parametrize('iteration, expected', [
    (0, 0), (2, 0), (3, 1), (4, 1), (5, 2), (10**6, 2)])
def test_phase_of_iteration(iteration, expected):
    assert ThreePhaseTrainingHook(PHASES).phase_index(iteration) == expected


@pytest.mark.parametrize('iteration, trainable', [
    (0, ('roi_head', )),
    (3, ('backbone.layer3', 'neck', 'rpn_head', 'roi_head')),
    (7, ('backbone', 'neck', 'rpn_head', 'roi_head')),
])
def test_before_train_sets_phase_of_resumed_iteration(iteration, trainable):
    model = TinyDetector()
    hook = ThreePhaseTrainingHook(PHASES)
    hook.before_train(make_runner(model, iteration))
    assert trainable_names(model) == names_under(model, *trainable)


def test_transitions_at_boundaries_and_frozen_parameters_never_move():
    model = TinyDetector()
    runner = make_runner(model)
    hook = ThreePhaseTrainingHook(PHASES)
    hook.before_train(runner)
    start = copy.deepcopy(model.state_dict())

    train_steps(runner, hook, model, 3)  # iterations 0, 1, 2: phase 1
    after_phase1 = copy.deepcopy(model.state_dict())
    for name in names_under(model, 'backbone', 'neck', 'rpn_head'):
        assert torch.equal(after_phase1[name], start[name]), name
    for name in names_under(model, 'roi_head'):
        assert not torch.equal(after_phase1[name], start[name]), name

    train_steps(runner, hook, model, 2)  # iterations 3, 4: phase 2
    after_phase2 = model.state_dict()
    for name in names_under(model, 'backbone.stem'):
        assert torch.equal(after_phase2[name], start[name]), name
    for name in names_under(model, 'backbone.layer3', 'neck', 'rpn_head'):
        assert not torch.equal(after_phase2[name], after_phase1[name]), name

    train_steps(runner, hook, model, 1)  # iteration 5: phase 3
    assert trainable_names(model) == {n for n, _ in model.named_parameters()}
    assert not torch.equal(model.backbone.stem[0].weight, start['backbone.stem.0.weight'])


def test_frozen_batchnorm_stays_in_eval_mode_and_keeps_statistics():
    model = TinyDetector()
    runner = make_runner(model)
    hook = ThreePhaseTrainingHook(PHASES)
    hook.before_train(runner)
    stem_mean = model.backbone.stem[1].running_mean.clone()

    train_steps(runner, hook, model, 3)
    assert not model.backbone.stem[1].training
    assert not model.neck[1].training
    assert torch.equal(model.backbone.stem[1].running_mean, stem_mean)

    train_steps(runner, hook, model, 2)  # phase 2: the neck's BN trains again
    assert model.neck[1].training
    assert not model.backbone.stem[1].training


def test_a_module_frozen_after_training_keeps_still_despite_momentum():
    # Momentum buffers and weight decay would move a parameter whose stale
    # gradient reached SGD; a frozen parameter has none.
    model = TinyDetector()
    runner = make_runner(model)
    hook = ThreePhaseTrainingHook([
        dict(begin=0, trainable='all'),
        dict(begin=2, trainable=['roi_head']),
    ])
    hook.before_train(runner)
    train_steps(runner, hook, model, 2)
    assert runner.optim_wrapper.optimizer.state[model.neck[0].weight]
    frozen = copy.deepcopy(model.neck.state_dict())
    train_steps(runner, hook, model, 2)
    for name, value in model.neck.state_dict().items():
        assert torch.equal(value, frozen[name]), name


def test_logs_each_transition(caplog):
    model = TinyDetector()
    runner = make_runner(model, iteration=2)
    hook = ThreePhaseTrainingHook(PHASES)
    with caplog.at_level(logging.INFO, logger='test_three_phase_hook'):
        hook.before_train(runner)
        train_steps(runner, hook, model, 2)
    phase_lines = [r.message for r in caplog.records if r.message.startswith('Phase')]
    assert len(phase_lines) == 2
    assert phase_lines[0].startswith('Phase 1/3 at iteration 2')
    assert phase_lines[1].startswith('Phase 2/3 at iteration 3')


@pytest.mark.parametrize('phases, message', [
    ([], 'at least one phase'),
    ([dict(begin=1, trainable='all')], 'must begin at iteration 0'),
    ([dict(begin=0, trainable='all'), dict(begin=0, trainable='all')], 'increasing order'),
    ([dict(begin=0, trainable='roi_head')], 'list of module-name prefixes'),
    ([dict(begin=0, trainable=[])], 'list of module-name prefixes'),
    ([dict(begin=-1, trainable='all')], 'iteration >= 0'),
    ([dict(begin=0, trainable='all', lr=1)], 'keys begin and trainable'),
    ([dict(begin=0, trainable='all'), dict(begin=1.0, trainable='all')], 'fraction of the run'),
    ([dict(begin=0, trainable='all'), dict(begin=0.5, trainable='all'),
      dict(begin=6, trainable='all')], 'same unit'),
])
def test_bad_phase_tables_are_refused(phases, message):
    with pytest.raises(ValueError, match=message):
        ThreePhaseTrainingHook(phases)


def test_prefix_naming_no_parameter_is_refused():
    model = TinyDetector()
    hook = ThreePhaseTrainingHook([dict(begin=0, trainable=['roi_heads'])])
    with pytest.raises(ValueError, match="'roi_heads' names no parameter"):
        hook.before_train(make_runner(model))


def test_parameters_frozen_at_build_time_are_refused():
    # mmengine leaves them out of the optimizer: no phase could train them.
    model = TinyDetector()
    model.backbone.stem.requires_grad_(False)
    runner = make_runner(model)
    runner.optim_wrapper = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.1))
    with pytest.raises(ValueError, match='not in the optimizer'):
        ThreePhaseTrainingHook(PHASES).before_train(runner)


def test_ddp_without_find_unused_parameters_is_refused():
    model = TinyDetector()
    # A DDP wrapper as the runner holds it, without a process group.
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    nn.Module.__init__(wrapper)
    wrapper.module = model
    wrapper.find_unused_parameters = False
    with pytest.raises(ValueError, match='find_unused_parameters=True'):
        ThreePhaseTrainingHook(PHASES).before_train(make_runner(wrapper))

    wrapper.find_unused_parameters = True
    ThreePhaseTrainingHook(PHASES).before_train(make_runner(wrapper))
    assert trainable_names(model) == names_under(model, 'roi_head')


FRACTIONS = [dict(phase, begin=begin) for phase, begin in zip(PHASES, (0, 0.25, 0.75))]


@pytest.mark.parametrize('max_iters, begins', [(8, [0, 2, 6]), (100, [0, 25, 75]), (2, [0, 0, 2])])
def test_fractions_of_the_run_follow_its_length(max_iters, begins):
    """A phase table in fractions of the run puts its boundaries where the
    run's length puts them; a phase too short to get an iteration is skipped."""
    model = TinyDetector()
    runner = make_runner(model)
    runner.max_iters = max_iters
    hook = ThreePhaseTrainingHook(FRACTIONS)
    with pytest.raises(RuntimeError, match='fractions of the run'):
        hook.phase_index(0)
    hook.before_train(runner)
    assert [hook.phase_index(b) for b in begins] == [
        max(i for i, other in enumerate(begins) if other == b) for b in begins]
    assert all(hook.phase_index(b - 1) < hook.phase_index(b) for b in begins[1:] if b > 0)


def test_fractions_resume_into_the_phase_of_the_iteration():
    model = TinyDetector()
    runner = make_runner(model, iteration=3)
    runner.max_iters = 8  # phase 2 holds iterations 2-5
    ThreePhaseTrainingHook(FRACTIONS).before_train(runner)
    assert trainable_names(model) == names_under(
        model, 'backbone.layer3', 'neck', 'rpn_head', 'roi_head')
