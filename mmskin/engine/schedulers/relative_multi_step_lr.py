"""A step learning-rate schedule that follows the length of the run."""
from typing import List, Sequence

from mmengine.optim.scheduler import MultiStepLR
from mmengine.optim.scheduler.param_scheduler import INF

from mmdet.registry import PARAM_SCHEDULERS


def fraction_milestones(fractions: Sequence[float], begin: int, end: int) -> List[int]:
    """The steps (counted from ``begin``) at ``fractions`` of ``[begin, end)``."""
    return [int(round(f * (end - begin))) for f in fractions]


@PARAM_SCHEDULERS.register_module()
class RelativeMultiStepLR(MultiStepLR):
    """mmengine's ``MultiStepLR`` with milestones given as fractions of the
    scheduler's span instead of step counts.

    Leave ``end`` out of the config and mmengine's Runner sets it to the run's
    ``train_cfg.max_iters``: a config that changes the length changes that one
    value and the learning-rate steps move with it.

    Args:
        milestones (Sequence[float]): Increasing fractions in (0, 1) of
            ``[begin, end)``, e.g. ``[0.75]`` divides the lr by ``1 / gamma``
            from three quarters of the run on.
        begin (int): First step of the span. Defaults to 0.
        end (int): Step after the span: the run's length when the Runner
            builds it.
        Other arguments are ``MultiStepLR``'s.
    """

    def __init__(self, optimizer, milestones: Sequence[float], begin: int = 0,
                 end: int = INF, **kwargs) -> None:
        where = 'RelativeMultiStepLR'
        if end == INF:
            raise ValueError(f'{where}.end: expected the run length (leave end out of the '
                             'config and the Runner sets it to train_cfg.max_iters), got none')
        if not milestones or any(not 0 < f < 1 for f in milestones) or \
                list(milestones) != sorted(set(milestones)):
            raise ValueError(f'{where}.milestones: expected increasing fractions in (0, 1), '
                             f'got {list(milestones)}')
        super().__init__(optimizer, milestones=fraction_milestones(milestones, begin, end),
                         begin=begin, end=end, **kwargs)
