"""Parameter schedulers that follow the length of the run."""
from .relative_multi_step_lr import RelativeMultiStepLR, fraction_milestones  # registers it

__all__ = ['RelativeMultiStepLR', 'fraction_milestones']
