"""The demo's fixed seed: a training run repeated on the same machine gives
bit-identical parameters (dataloader workers, augmentation and the samplers
in the model included)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmskin  # noqa: F401  registers the project's modules

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / 'configs' / 'isic' / 'demo_cpu_r18.py'
ITERS = 3


def _train_demo(tiny_coco: dict, work_dir: Path) -> dict:
    """The demo config as tools/run_demo.sh trains it (two dataloader
    workers, the seed of the config), on the tiny data, for ITERS iterations."""
    cfg = Config.fromfile(str(DEMO_CONFIG))
    cfg.work_dir = str(work_dir)
    dataset = cfg.train_dataloader.dataset
    dataset.data_root, dataset.ann_file = tiny_coco['data_root'], tiny_coco['train_ann']
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.max_iters = ITERS
    cfg.default_hooks.checkpoint.update(interval=ITERS + 1, save_last=False)
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == ITERS
    return {name: value.detach().clone() for name, value in runner.model.state_dict().items()}


def test_a_repeated_demo_run_gives_identical_parameters(tiny_coco, tmp_path):
    first = _train_demo(tiny_coco, tmp_path / 'first')
    second = _train_demo(tiny_coco, tmp_path / 'second')
    assert first.keys() == second.keys()
    differing = [name for name in first if not torch.equal(first[name], second[name])]
    assert not differing, f'{len(differing)} tensors differ, e.g. {differing[:3]}'
