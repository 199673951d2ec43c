"""AtomicCheckpointHook: a job killed at any moment of a save leaves a
checkpoint that ``--resume`` can use.

The kill is simulated by raising at the n-th file-system operation of the
save (a write is cut half-way), for every n until the save completes.
"""
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.fileio import LocalBackend
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmskin  # noqa: F401  registers the hooks
from mmskin.engine import CheckpointWriteError, NonFiniteWeightsError, find_resume_checkpoint
from mmskin.engine.hooks.atomic_checkpoint_hook import PARTIAL_SUFFIX


class ToyModel(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


class ToyDataset(Dataset):
    metainfo = dict()

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=torch.full((2, ), float(index)))


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def train_two_iterations(work_dir: str, hook_type: str, lr: float = 0.01) -> Runner:
    runner = Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=2),
        default_hooks=dict(
            checkpoint=dict(type=hook_type, by_epoch=False, interval=1,
                            max_keep_ckpts=1)),
        default_scope='mmdet',
        experiment_name=osp.basename(work_dir),
        log_level='WARNING')
    runner.train()
    return runner


def kill_at(monkeypatch, n: int) -> None:
    """Make the n-th write, fsync, rename or removal of a file 'kill' the job."""
    count = [0]

    def dies_now() -> bool:
        count[0] += 1
        return count[0] == n

    def guard(fn):
        def wrapped(*args, **kwargs):
            if dies_now():
                raise Killed
            return fn(*args, **kwargs)
        return wrapped

    put = LocalBackend.put

    def put_cut_short(self, obj, filepath):
        if dies_now():
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise Killed
        put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put_cut_short)
    for name in ('fsync', 'replace', 'remove'):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))


def save_third_checkpoint_killed_at(tmp_path, monkeypatch, hook_type, n):
    """Train 2 iterations, then save iteration 3's checkpoint, killed at the
    n-th file operation. Returns whether the save completed."""
    work_dir = str(tmp_path / f'{hook_type}_{n}')
    runner = train_two_iterations(work_dir, hook_type)
    hook = next(h for h in runner.hooks if type(h).__name__ == hook_type)
    runner.train_loop._iter = 2
    with monkeypatch.context() as patch:
        kill_at(patch, n)
        try:
            hook._save_checkpoint(runner)
        except Killed:
            return work_dir, False
    return work_dir, True


def resumable_iteration(work_dir: str) -> int:
    """The iteration `--resume` would continue from; raises if none."""
    path = find_resume_checkpoint(work_dir)
    return torch.load(path, weights_only=False)['meta']['iter']


def test_a_kill_at_any_moment_of_a_save_leaves_a_resumable_checkpoint(
        tmp_path, monkeypatch):
    completed, n = False, 0
    while not completed:
        n += 1
        work_dir, completed = save_third_checkpoint_killed_at(
            tmp_path, monkeypatch, 'AtomicCheckpointHook', n)
        iteration = resumable_iteration(work_dir)
        assert iteration == 3 if completed else iteration in (2, 3), n
    # The .pth, its fsync and rename, the record's write, fsync and rename,
    # then the removal of the checkpoint out of max_keep_ckpts.
    assert n == 7
    checkpoints = {f for f in os.listdir(work_dir) if f.endswith(('.pth', PARTIAL_SUFFIX))}
    assert checkpoints == {'iter_3.pth'}


def test_the_kill_simulation_reaches_mmengine_checkpoint_hook_failures(
        tmp_path, monkeypatch):
    # mmengine removes the oldest kept checkpoint before writing the new one
    # in place: cut short, the record names a removed file.
    work_dir, completed = save_third_checkpoint_killed_at(
        tmp_path, monkeypatch, 'CheckpointHook', 2)
    assert not completed
    with pytest.raises(FileNotFoundError, match='does not exist'):
        find_resume_checkpoint(work_dir)


def test_partial_files_of_a_killed_run_are_removed_when_training_starts(
        tmp_path, monkeypatch):
    work_dir, completed = save_third_checkpoint_killed_at(
        tmp_path, monkeypatch, 'AtomicCheckpointHook', 1)
    assert not completed
    partial = osp.join(work_dir, 'iter_3.pth' + PARTIAL_SUFFIX)
    assert osp.isfile(partial)
    train_two_iterations(work_dir, 'AtomicCheckpointHook')
    assert not osp.exists(partial)


def test_non_finite_weights_are_never_written(tmp_path):
    """lr 3e38: a step overflows the weights while its loss was finite; that
    checkpoint is refused and not written, the earlier ones are good."""
    work_dir = str(tmp_path / 'diverged')
    torch.manual_seed(0)
    with pytest.raises(NonFiniteWeightsError,
                       match=rf'{work_dir}/iter_(?P<i>\d).pth: not written: after iteration '
                       r'(?P=i) the weights are not finite \(\d tensors hold NaN or infinite '
                       r'values, e.g. linear.(weight|bias)\)') as error:
        train_two_iterations(work_dir, 'AtomicCheckpointHook', lr=3e38)
    refused = str(error.value).split(':')[0]
    assert not osp.exists(refused) and not osp.exists(refused + PARTIAL_SUFFIX)
    for name in os.listdir(work_dir):
        if name.endswith('.pth'):
            state = torch.load(osp.join(work_dir, name), weights_only=False)['state_dict']
            assert all(torch.isfinite(v).all() for v in state.values()), name


def test_a_checkpoint_that_cannot_be_written_is_an_error_naming_it(tmp_path, monkeypatch):
    """A full disk while saving: the error names the checkpoint, the partial
    file is removed and --resume still finds the previous checkpoint."""
    work_dir = str(tmp_path / 'full')
    runner = train_two_iterations(work_dir, 'AtomicCheckpointHook')
    hook = next(h for h in runner.hooks if type(h).__name__ == 'AtomicCheckpointHook')
    runner.train_loop._iter = 2

    def no_space(self, obj, filepath):
        with open(filepath, 'wb') as f:
            f.write(obj[:100])
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(LocalBackend, 'put', no_space)
    with pytest.raises(CheckpointWriteError,
                       match=f'{work_dir}/iter_3.pth: cannot write the checkpoint '
                       r'\(\[Errno 28\] No space left on device\)'):
        hook._save_checkpoint(runner)
    assert sorted(f for f in os.listdir(work_dir) if 'iter_' in f) == ['iter_2.pth']
    assert resumable_iteration(work_dir) == 2
