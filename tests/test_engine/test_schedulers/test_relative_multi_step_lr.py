"""RelativeMultiStepLR: mmengine's MultiStepLR with its milestones placed by
the length of the run."""
import pytest
import torch
from mmengine.optim.scheduler import MultiStepLR

from mmdet.registry import PARAM_SCHEDULERS
from mmskin.engine import RelativeMultiStepLR


def learning_rates(scheduler_cfg: dict, steps: int) -> list:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = PARAM_SCHEDULERS.build(scheduler_cfg, default_args=dict(optimizer=optimizer))
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]['lr'])
        scheduler.step()
    return rates


@pytest.mark.parametrize('fractions, begin, end, milestones', [
    ([0.75], 0, 160, [120]),
    ([0.8], 0, 300, [240]),  # 0.8 * 300 is 240.00000000000003
    ([0.5, 0.75], 0, 8, [4, 6]),
    ([0.5], 4, 12, [4]),  # counted from begin, as MultiStepLR counts
])
def test_same_rates_as_multistep_lr_at_the_resolved_milestones(fractions, begin, end,
                                                               milestones):
    common = dict(by_epoch=False, begin=begin, end=end, gamma=0.1)
    relative = learning_rates(dict(type='RelativeMultiStepLR', milestones=fractions, **common),
                              end + 2)
    absolute = learning_rates(dict(type='MultiStepLR', milestones=milestones, **common),
                              end + 2)
    assert relative == absolute
    assert len(set(relative)) == len(milestones) + 1


def test_the_runner_given_end_moves_the_milestones():
    """Without an ``end`` in the config the Runner passes the run's length."""
    for max_iters, step in ((300, 240), (4000, 3200)):
        rates = learning_rates(dict(type='RelativeMultiStepLR', by_epoch=False,
                                    milestones=[0.8], end=max_iters), max_iters)
        assert rates.index(min(rates)) == step


@pytest.mark.parametrize('kwargs, message', [
    (dict(milestones=[0.8]), 'run length'),
    (dict(milestones=[240], end=300), 'fractions in \\(0, 1\\)'),
    (dict(milestones=[0.8, 0.5], end=300), 'increasing'),
    (dict(milestones=[], end=300), 'increasing'),
])
def test_bad_arguments_are_refused(kwargs, message):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match=message):
        RelativeMultiStepLR(optimizer, by_epoch=False, **kwargs)


def test_is_a_multistep_lr():
    """What reads schedules (mmengine's state dicts, the curves' lr marks)
    sees a MultiStepLR."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    assert isinstance(RelativeMultiStepLR(optimizer, milestones=[0.5], end=10), MultiStepLR)
