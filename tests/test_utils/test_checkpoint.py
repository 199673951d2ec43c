"""Checkpoint loading under torch >= 2.6 (weights_only=True by default)."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch.utils.data import Dataset

from mmskin.apis import apply_common_args, resolve_resume
from mmskin.utils import UntrustedCheckpointError, checkpoint as ckpt_mod, trust_checkpoint


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, mode='loss'):
        return dict(loss=(self.linear(x) - 1).pow(2).mean())


class _Data(Dataset):
    metainfo = dict(classes=('benign', 'malignant'))

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(x=torch.tensor([float(i), 1.0]))


def _runner(work_dir, max_iters, **kwargs):
    torch.manual_seed(0)  # the same initial weights in every run, whatever ran before
    return Runner(
        model=_Toy(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=_Data(), sampler=dict(type='InfiniteSampler', seed=0),
                              batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        randomness=dict(seed=0), **kwargs)


@pytest.fixture(autouse=True)
def _fresh_trust(monkeypatch):
    monkeypatch.setattr(ckpt_mod, '_trusted', set())


@pytest.fixture
def trained(tmp_path):
    work_dir = tmp_path / 'run'
    _runner(work_dir, 4).train()
    return work_dir


def test_untrusted_mmengine_checkpoint_is_refused_with_its_name(trained):
    path = str(trained / 'iter_4.pth')
    with pytest.raises(UntrustedCheckpointError, match='iter_4.pth'):
        _load_checkpoint(path)


def test_trusted_folder_loads_the_full_checkpoint(trained):
    trust_checkpoint(str(trained))
    checkpoint = _load_checkpoint(str(trained / 'iter_4.pth'))
    assert checkpoint['meta']['iter'] == 4
    assert 'message_hub' in checkpoint and 'optimizer' in checkpoint


def test_plain_weights_need_no_trust(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(3)}}, path)
    assert torch.equal(_load_checkpoint(str(path))['state_dict']['w'], torch.ones(3))


def test_a_folder_does_not_trust_its_neighbours(tmp_path, trained):
    trust_checkpoint(str(tmp_path / 'ru'))  # a prefix of 'run', not a parent
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(str(trained / 'iter_4.pth'))


def _args(work_dir):
    return SimpleNamespace(launcher='none', cfg_options=None, work_dir=str(work_dir))


def test_resume_restores_iteration_weights_and_optimizer(tmp_path, trained):
    """An mmengine checkpoint resumes under torch 2.13 and continues exactly."""
    cfg = Config(dict(load_from=None))
    apply_common_args(cfg, _args(trained))
    resolve_resume(cfg, 'auto')
    assert cfg.resume and osp.basename(cfg.load_from) == 'iter_4.pth'

    resumed = _runner(trained, 6, resume=True, load_from=cfg.load_from)
    resumed.train()
    straight = _runner(tmp_path / 'straight', 6)
    straight.train()
    assert resumed.iter == straight.iter == 6
    for a, b in zip(resumed.model.parameters(), straight.model.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    mom_a = resumed.optim_wrapper.optimizer.state_dict()['state'][0]['momentum_buffer']
    mom_b = straight.optim_wrapper.optimizer.state_dict()['state'][0]['momentum_buffer']
    assert torch.allclose(mom_a, mom_b, atol=1e-6)
