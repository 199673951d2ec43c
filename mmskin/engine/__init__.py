"""Training machinery: the three-phase schedule, checkpoints safe to resume
from, the runner that loads checkpoints by mmskin's rules, distributed
training without CUDA."""
from . import hooks  # noqa: F401  registers the hooks
from . import schedulers  # noqa: F401  registers the schedulers
from .distributed import init_cpu_distributed
from .hooks import (AtomicCheckpointHook, CheckpointWriteError, FiniteLossHook,
                    IterationSeedHook, NonFiniteLossError, NonFiniteWeightsError,
                    ThreePhaseTrainingHook)
from .hooks.three_phase_hook import phase_begins
from .resume import find_resume_checkpoint, is_complete_checkpoint
from .runner import LesionRunner, LesionTestRunner  # registers them
from .schedulers import RelativeMultiStepLR, fraction_milestones

__all__ = [
    'AtomicCheckpointHook', 'CheckpointWriteError', 'FiniteLossHook', 'IterationSeedHook',
    'NonFiniteLossError', 'NonFiniteWeightsError', 'RelativeMultiStepLR',
    'ThreePhaseTrainingHook', 'find_resume_checkpoint', 'fraction_milestones',
    'init_cpu_distributed', 'is_complete_checkpoint', 'phase_begins', 'LesionRunner',
    'LesionTestRunner'
]
