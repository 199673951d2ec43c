"""Two-process DDP on CPU (gloo) through a phase boundary, started as users
start it: ``tools/dist_train.sh`` (torchrun). Compared with one process
training the same total batch."""
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmskin  # noqa: F401  registers the project's modules

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONFIG = REPO / 'configs' / 'isic' / 'mask_rcnn_r50_fpn_focaljac.py'
PHASE2, MAX_ITERS = 2, 3  # iterations 0-1 in phase 1, iteration 2 in phase 2
SCALE = (64, 64)
FROZEN = ('backbone.conv1', 'backbone.bn1', 'backbone.layer1', 'backbone.layer2')
PHASE2_ONLY = ('backbone.layer3', 'backbone.layer4', 'neck', 'rpn_head')

pytestmark = pytest.mark.slow


def load_rank_state_hook():
    spec = importlib.util.spec_from_file_location('rank_state_hook', HERE / 'rank_state_hook.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RankStateHook


def ddp_config(make_cpu_cfg, tiny_coco, work_dir: Path, images_per_process: int) -> Config:
    cfg = make_cpu_cfg(Config.fromfile(str(CONFIG)), tiny_coco, str(work_dir),
                       max_iters=MAX_ITERS)
    phases = next(h for h in cfg.custom_hooks if h.type == 'ThreePhaseTrainingHook').phases
    phases[1].begin = PHASE2
    phases[2].begin = 10 * MAX_ITERS  # the stem and layer1-2 stay frozen throughout
    cfg.param_scheduler[0].end = 2
    cfg.param_scheduler[1] = dict(type='MultiStepLR', by_epoch=False, begin=0, end=MAX_ITERS,
                                  milestones=[phases[2].begin], gamma=0.1)
    cfg.train_dataloader.batch_size = images_per_process
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = SCALE
        if step.type == 'Pad':
            step.size = SCALE
    cfg.randomness = dict(seed=0)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.custom_imports.imports.append('rank_state_hook')
    return cfg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def load(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)


def max_difference(a: dict, b: dict, names) -> float:
    """Largest absolute difference between two parameter dicts."""
    return max((a[n] - b[n]).abs().max().item() for n in names)


def test_two_process_ddp_matches_one_process_and_keeps_frozen_layers(
        make_cpu_cfg, tiny_coco, tmp_path):
    # Two processes x 1 image, as a user launches it.
    ddp_dir = tmp_path / 'ddp'
    ddp_dir.mkdir()
    cfg = ddp_config(make_cpu_cfg, tiny_coco, ddp_dir, images_per_process=1)
    cfg.custom_hooks.append(dict(type='RankStateHook'))
    cfg_file = tmp_path / 'ddp_config.py'
    cfg.dump(str(cfg_file))
    (tmp_path / 'tmp').mkdir()
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
               OMP_NUM_THREADS='1', TMPDIR=str(tmp_path / 'tmp'),  # torchrun's logs
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run(
        ['bash', str(REPO / 'tools' / 'dist_train.sh'), str(cfg_file), '2',
         '--work-dir', str(ddp_dir)],
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # One process x 2 images: the same total batch, the same images.
    single_dir = tmp_path / 'single'
    single_cfg = ddp_config(make_cpu_cfg, tiny_coco, single_dir, images_per_process=2)
    single_cfg.custom_imports.imports.remove('rank_state_hook')
    runner = Runner.from_cfg(single_cfg)
    runner.register_hook(load_rank_state_hook()())
    runner.train()

    start, rank0, rank1 = (load(ddp_dir / f) for f in
                           ('rank0_start.pth', 'rank0_end.pth', 'rank1_end.pth'))
    single_start, single = load(single_dir / 'rank0_start.pth'), load(single_dir / 'rank0_end.pth')
    names = list(start)
    # Both ranks hold the same parameters, bit for bit.
    assert max_difference(rank0, rank1, names) == 0
    # Both runs start from the same weights.
    assert max_difference(start, single_start, names) == 0
    frozen = [n for n in names if n.startswith(tuple(p + '.' for p in FROZEN))]
    assert frozen and max_difference(rank0, start, frozen) == 0
    # Phase 2 was reached: its layers moved.
    for prefix in PHASE2_ONLY:
        assert max_difference(rank0, start, [n for n in names if n.startswith(prefix + '.')]) > 0
    # Against one process training both images: DDP averages per-process
    # losses, one process averages over its batch (the focal and mask losses
    # normalise per process by its own positives), and each rank samples
    # anchors and RoIs with its own random stream. So the runs are close,
    # not equal: the same overall update, same size and direction.
    update_ddp = torch.cat([(rank0[n] - start[n]).flatten() for n in names])
    update_single = torch.cat([(single[n] - start[n]).flatten() for n in names])
    cosine = (update_ddp @ update_single / (update_ddp.norm() * update_single.norm())).item()
    ratio = (update_ddp.norm() / update_single.norm()).item()
    print(f'DDP 2x1 vs 1x2: largest parameter difference '
          f'{max_difference(rank0, single, names):.3e}, largest change by training '
          f'{max_difference(single, start, names):.3e}, update cosine {cosine:.3f}, '
          f'norm ratio {ratio:.3f}')
    assert cosine > 0.5
    assert 0.67 < ratio < 1.5  # summed instead of averaged gradients would give 2
