"""FiniteLossHook: a NaN loss stops training clearly and keeps good checkpoints."""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmskin.engine.hooks import NonFiniteLossError


class _NaNAtThirdIteration(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.calls = 0

    def forward(self, x, mode='loss'):
        self.calls += 1
        loss = self.linear(x).pow(2).mean()
        if self.calls == 3:
            loss = loss * float('nan')
        return dict(loss_mask=loss, loss_cls=torch.tensor(0.5))


class _Data(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(x=torch.tensor([float(i), 1.0]))


def test_nan_loss_stops_before_saving_and_names_the_iteration(tmp_path):
    runner = Runner(
        model=_NaNAtThirdIteration(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=_Data(), sampler=dict(type='InfiniteSampler'),
                              batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=5),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
            finite_loss=dict(type='FiniteLossHook')),
        default_scope='mmdet')
    with pytest.raises(NonFiniteLossError, match=r'iteration 3: the loss is nan') as err:
        runner.train()
    assert 'loss_mask=nan' in str(err.value) and 'loss_cls=0.5' in str(err.value)
    assert (tmp_path / 'iter_2.pth').is_file()
    assert not (tmp_path / 'iter_3.pth').exists()
