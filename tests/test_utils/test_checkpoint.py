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
from mmskin.engine import AtomicCheckpointHook
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


def _runner(work_dir, max_iters, checkpoint=None, **kwargs):
    torch.manual_seed(0)  # the same initial weights in every run, whatever ran before
    return Runner(
        model=_Toy(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=_Data(), sampler=dict(type='InfiniteSampler', seed=0),
                              batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        default_hooks=dict(checkpoint=checkpoint or dict(type='CheckpointHook', interval=2,
                                                         by_epoch=False)),
        randomness=dict(seed=0), **kwargs)


@pytest.fixture(autouse=True)
def _fresh_trust(monkeypatch):
    monkeypatch.setattr(ckpt_mod, '_trusted', set())
    with ckpt_mod.checkpoint_loaders():  # as mmskin's runner and inference do
        yield


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


# --- content hash ------------------------------------------------------------


def _sealed(path, **parts):
    checkpoint = dict(meta=dict(iter=3), state_dict=dict(w=torch.arange(64.0)), **parts)
    ckpt_mod.add_content_hash(checkpoint)
    torch.save(checkpoint, path)
    return checkpoint


def test_a_sealed_checkpoint_loads_and_a_changed_weight_is_refused(tmp_path):
    path = tmp_path / 'iter_3.pth'
    checkpoint = _sealed(path, optimizer=dict(state={0: dict(momentum_buffer=torch.ones(3))}))
    loaded = ckpt_mod.load_checkpoint_file(str(path))
    assert torch.equal(loaded['state_dict']['w'], checkpoint['state_dict']['w'])
    for part, edit in (('state_dict', lambda c: c['state_dict']['w'].__setitem__(5, 1e8)),
                       ('optimizer', lambda c: c['optimizer']['state'][0]['momentum_buffer']
                        .__setitem__(0, 2.0))):
        damaged = ckpt_mod.load_checkpoint_file(str(path))
        edit(damaged)
        torch.save(damaged, tmp_path / f'{part}.pth')
        with pytest.raises(ckpt_mod.CheckpointIntegrityError,
                           match=f'{tmp_path / part}.pth: the checkpoint is damaged'):
            ckpt_mod.load_checkpoint_file(str(tmp_path / f'{part}.pth'))


def test_flipped_bits_in_the_file_are_refused(tmp_path):
    """A bit flipped in the stored tensor bytes: still a valid zip archive,
    torch loads it, the hash does not match."""
    path = tmp_path / 'iter_3.pth'
    _sealed(path)
    data = bytearray(path.read_bytes())
    stored = torch.arange(64.0).numpy().tobytes()
    offset = bytes(data).index(stored) + 4 * 40 + 3  # the high byte of w[40]
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))
    weights = torch.load(path, weights_only=True)['state_dict']['w']
    assert weights[40] != 40.0  # the flip reached a weight
    with pytest.raises(ckpt_mod.CheckpointIntegrityError, match='damaged'):
        ckpt_mod.load_checkpoint_file(str(path))


def test_a_checkpoint_without_a_hash_loads(tmp_path):
    torch.save(dict(state_dict=dict(w=torch.ones(2))), tmp_path / 'pretrained.pth')
    loaded = ckpt_mod.load_checkpoint_file(str(tmp_path / 'pretrained.pth'))
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_an_unreadable_file_is_a_damaged_checkpoint(tmp_path):
    path = tmp_path / 'iter_3.pth'
    path.write_bytes(b'not a checkpoint at all')
    with pytest.raises(ckpt_mod.CheckpointIntegrityError, match=f'{path}: not a readable'):
        ckpt_mod.load_checkpoint_file(str(path))


def test_the_runs_checkpoints_carry_the_hash(trained):
    """Checkpoints written by AtomicCheckpointHook are sealed (the hash is
    added just before saving)."""
    work_dir = trained.parent / 'sealed'
    _runner(work_dir, 2, AtomicCheckpointHook(interval=2, by_epoch=False)).train()
    checkpoint = ckpt_mod.load_checkpoint_file(str(work_dir / 'iter_2.pth'), trusted=True)
    assert checkpoint['meta'][ckpt_mod.CONTENT_HASH_KEY] == ckpt_mod.content_hash(checkpoint)
