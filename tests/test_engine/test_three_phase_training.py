"""The paper's model trained through mmengine's Runner with the three-phase
schedule shrunk to a few iterations: what freezes, the learning rate, and
``--resume`` at, before and after a phase boundary."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from mmskin.engine import LesionRunner
from mmskin.utils import trust_checkpoint

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'isic' / 'mask_rcnn_r50_fpn_focaljac.py'
STRICT_CONFIG = REPO / 'configs' / 'isic' / 'mask_rcnn_r50_fpn_focaljac_strictphase1.py'
# What phase 1 trains: the default (Matterport's 'heads') and the strict
# reading of the paper's words (the RoI heads only).
PHASE1_TRAINS = {CONFIG: ('neck', 'rpn_head', 'roi_head'), STRICT_CONFIG: ('roi_head', )}
WARMUP, PHASE2, PHASE3, MAX_ITERS = 3, 2, 3, 4
BASE_LR = 1e-3
SCALE = (64, 64)  # inputs; cpu_sized's 128 x 128 shrunk further for speed
PHASE2_TRAINS = ('backbone.layer3', 'backbone.layer4', 'neck', 'rpn_head', 'roi_head')

pytestmark = pytest.mark.slow


def shrink(cfg: Config) -> Config:
    """The paper's schedule at PHASE2 / PHASE3 / MAX_ITERS iterations, a
    checkpoint after every iteration, all kept; no validation."""
    cfg.train_cfg.max_iters = MAX_ITERS
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, steps.type) == ('LinearLR', 'RelativeMultiStepLR')
    warmup.end = WARMUP
    # Boundaries in iterations, not in the config's fractions of the run.
    cfg.param_scheduler[1] = dict(type='MultiStepLR', by_epoch=False, begin=0, end=MAX_ITERS,
                                  milestones=[PHASE3], gamma=steps.gamma)
    phase_hook = next(h for h in cfg.custom_hooks if h.type == 'ThreePhaseTrainingHook')
    phase_hook.phases[1].begin = PHASE2
    phase_hook.phases[2].begin = PHASE3
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    cfg.randomness = dict(seed=0)
    cfg.log_level = 'WARNING'
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None  # not under test
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = SCALE
        if step.type == 'Pad':
            step.size = SCALE
    return cfg


class Recorder(Hook):
    """Per iteration: the lr and which parameters train; the parameters at
    each phase boundary and at the end. Registered after the phase hook, so
    it sees the iteration's phase."""

    def __init__(self) -> None:
        self.lrs, self.trainable, self.params = [], [], {}

    @staticmethod
    def _model(runner):
        return runner.model.module if hasattr(runner.model, 'module') else runner.model

    def _snapshot(self, runner, key) -> None:
        self.params[key] = {
            n: p.detach().clone() for n, p in self._model(runner).named_parameters()}

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.lrs.append(runner.optim_wrapper.get_lr()['lr'][0])
        self.trainable.append(
            {n for n, p in self._model(runner).named_parameters() if p.requires_grad})
        if runner.iter in (0, PHASE2, PHASE3):
            self._snapshot(runner, runner.iter)

    def after_train(self, runner) -> None:
        self._snapshot(runner, 'end')


def train(cfg: Config, recorder: Hook = None) -> Path:
    # The tools' runner: it resumes mmengine checkpoints under torch >= 2.6.
    runner = LesionRunner.from_cfg(cfg)
    if recorder is not None:
        runner.register_hook(recorder)
    runner.train()
    return Path(cfg.work_dir)


@pytest.fixture(scope='module')
def cache():
    return {}


def uninterrupted_run(config: Path, cache, make_cpu_cfg, tiny_coco, tmp_path_factory):
    """One uninterrupted run of a config: its work dir and its recorder."""
    if config not in cache:
        work_dir = tmp_path_factory.mktemp('uninterrupted')
        cfg = shrink(make_cpu_cfg(Config.fromfile(str(config)), tiny_coco, str(work_dir)))
        recorder = Recorder()
        cache[config] = train(cfg, recorder), recorder
    return cache[config]


@pytest.fixture
def reference(cache, make_cpu_cfg, tiny_coco, tmp_path_factory):
    """The uninterrupted run of the main config."""
    return uninterrupted_run(CONFIG, cache, make_cpu_cfg, tiny_coco, tmp_path_factory)


def under(name: str, prefixes) -> bool:
    return any(name.startswith(p + '.') for p in prefixes)


def check_phase(before: dict, after: dict, trained) -> list:
    """What breaks the phase rules between two snapshots: a frozen parameter
    that is not bit-identical, a trained group (prefix) none of whose
    parameters moved. Single trained tensors may legitimately stay put: zero
    gradient (e.g. inside a residual branch whose last BN is zero-initialised)
    and a weight-decay step below float32 resolution."""
    wrong = [f'{n} moved while frozen' for n in before
             if not under(n, trained) and not torch.equal(before[n], after[n])]
    for prefix in trained:
        if all(torch.equal(before[n], after[n]) for n in before if under(n, [prefix])):
            wrong.append(f'nothing under {prefix} moved')
    return wrong


@pytest.mark.parametrize('config', [CONFIG, STRICT_CONFIG], ids=['default', 'strict'])
def test_only_the_phase_layers_train_and_move(config, cache, make_cpu_cfg, tiny_coco,
                                              tmp_path_factory):
    _, rec = uninterrupted_run(config, cache, make_cpu_cfg, tiny_coco, tmp_path_factory)
    names = set(rec.params[0])
    phase1 = PHASE1_TRAINS[config]
    phase_of = [phase1] * PHASE2 + [PHASE2_TRAINS] * (PHASE3 - PHASE2) + [
        ['backbone', 'neck', 'rpn_head', 'roi_head']] * (MAX_ITERS - PHASE3)
    for t, trained in enumerate(phase_of):
        assert rec.trainable[t] == {n for n in names if under(n, trained)}, t
    p = rec.params
    assert not check_phase(p[0], p[PHASE2], phase1)
    assert not check_phase(p[PHASE2], p[PHASE3], PHASE2_TRAINS)
    # Phase 3 trains the stem and layer1-2 too.
    assert not check_phase(p[PHASE3], p['end'], [
        'backbone.conv1', 'backbone.bn1', 'backbone.layer1', 'backbone.layer2',
        *PHASE2_TRAINS])


def test_the_lr_of_every_iteration_is_the_schedule(reference):
    _, rec = reference
    # mmengine's LinearLR reaches the base lr at its `end` - 1.
    expected = [
        BASE_LR * (0.001 + 0.999 * min(t, WARMUP - 1) / (WARMUP - 1))
        * (0.1 if t >= PHASE3 else 1.0) for t in range(MAX_ITERS)
    ]
    assert len(set(expected)) == MAX_ITERS  # warm-up, plateau and drop all seen
    assert rec.lrs == pytest.approx(expected, rel=1e-9)


def load(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def assert_same_tensors(actual, expected, where: str) -> None:
    if isinstance(expected, torch.Tensor):
        assert torch.equal(actual, expected), where
    elif isinstance(expected, dict):
        assert actual.keys() == expected.keys(), where
        for key in expected:
            assert_same_tensors(actual[key], expected[key], f'{where}.{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_tensors(a, e, f'{where}[{i}]')
    else:
        assert actual == expected, where


# Resumed after iteration 1 (before the phase-2 boundary), 2 (at it) and 3
# (after it, at the phase-3 boundary).
@pytest.mark.parametrize('killed_after', [1, 2, 3])
def test_resume_equals_the_uninterrupted_run(reference, killed_after, make_cpu_cfg,
                                             tiny_coco, tmp_path):
    reference_dir, _ = reference
    cfg = shrink(make_cpu_cfg(Config.fromfile(str(CONFIG)), tiny_coco, str(tmp_path)))
    # The state of a job killed after `killed_after` iterations.
    cfg.load_from = str(reference_dir / f'iter_{killed_after}.pth')
    cfg.resume = True
    trust_checkpoint(cfg.load_from)
    resumed = load(train(cfg) / f'iter_{MAX_ITERS}.pth')
    uninterrupted = load(reference_dir / f'iter_{MAX_ITERS}.pth')

    assert resumed['meta']['iter'] == MAX_ITERS
    assert_same_tensors(resumed['state_dict'], uninterrupted['state_dict'], 'state_dict')
    assert_same_tensors(resumed['optimizer'], uninterrupted['optimizer'], 'optimizer')
    assert resumed['param_schedulers'] == uninterrupted['param_schedulers']
