"""End to end: the paper's main config, CPU-sized, trained on synthetic ISIC
data converted by the ISIC converter; the loss falls and training resumes
from a checkpoint through tools/train.py."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmskin.utils import load_checkpoint_file

REPO = Path(__file__).resolve().parents[2]
MAIN_CONFIG = REPO / 'configs' / 'isic' / 'mask_rcnn_r50_fpn_focaljac.py'
ITERS = 30


class _LossRecorder(Hook):

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(float(outputs['loss']))


def _short_schedule(cfg):
    """The three phases at iterations 0 / 10 / 20 instead of 0 / 40k / 120k,
    with a 5-iteration warm-up to a CPU-sized learning rate."""
    cfg.optim_wrapper.optimizer.lr = 0.01
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=ITERS + 10,
             milestones=[20], gamma=0.1),
    ]
    phases = cfg.custom_hooks[0].phases
    assert len(phases) == 3
    phases[1]['begin'], phases[2]['begin'] = 10, 20
    cfg.default_hooks.checkpoint.interval = 15
    return cfg


def test_main_config_trains_and_resumes(tiny_coco, make_cpu_cfg, tmp_path):
    work_dir = tmp_path / 'run'
    cfg = make_cpu_cfg(Config.fromfile(str(MAIN_CONFIG)), tiny_coco, str(work_dir), ITERS)
    cfg = _short_schedule(cfg)
    cfg.randomness = dict(seed=0, deterministic=True)
    recorder = _LossRecorder()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(recorder)
    runner.train()

    losses = np.array(recorder.losses)
    assert len(losses) == ITERS and np.isfinite(losses).all()
    first, last = losses[:5].mean(), losses[-5:].mean()
    print(f'loss: first 5 iterations {first:.3f}, last 5 {last:.3f}')
    assert last < 0.8 * first, losses

    # Resume the run at iteration 30 through the command line, on to 32.
    config_file = work_dir / 'dumped_config.py'
    cfg.dump(str(config_file))
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'train.py'), str(config_file), '--work-dir',
         str(work_dir), '--resume', '--cfg-options', f'train_cfg.max_iters={ITERS + 2}',
         'default_hooks.checkpoint.interval=2'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f'resumed epoch: 0, iter: {ITERS}' in result.stdout + result.stderr
    resumed = load_checkpoint_file(str(work_dir / f'iter_{ITERS + 2}.pth'), trusted=True)
    assert resumed['meta']['iter'] == ITERS + 2
    before = load_checkpoint_file(str(work_dir / f'iter_{ITERS}.pth'), trusted=True)
    moved = [k for k, v in resumed['state_dict'].items()
             if v.dtype.is_floating_point and not torch.equal(v, before['state_dict'][k])]
    assert moved, 'two more iterations after resuming changed no parameter'


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'train.py'), str(MAIN_CONFIG), '--work-dir',
         str(tmp_path), '--resume'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'no checkpoint to resume from' in result.stderr
    assert 'Traceback' not in result.stderr
