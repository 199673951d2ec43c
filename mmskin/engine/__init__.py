"""Training machinery: the three-phase schedule, checkpoints safe to resume
from, the runner that loads checkpoints by mmskin's rules, distributed
training without CUDA."""
from . import hooks  # noqa: F401  registers the hooks
from .distributed import init_cpu_distributed
from .hooks import (AtomicCheckpointHook, CheckpointWriteError, FiniteLossHook,
                    IterationSeedHook, NonFiniteLossError, NonFiniteWeightsError,
                    ThreePhaseTrainingHook)
from .resume import find_resume_checkpoint, is_complete_checkpoint
from .runner import LesionRunner  # registers it

__all__ = [
    'AtomicCheckpointHook', 'CheckpointWriteError', 'FiniteLossHook', 'IterationSeedHook',
    'NonFiniteLossError', 'NonFiniteWeightsError', 'ThreePhaseTrainingHook',
    'find_resume_checkpoint', 'init_cpu_distributed', 'is_complete_checkpoint', 'LesionRunner'
]
