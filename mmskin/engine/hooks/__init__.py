"""Training hooks: the paper's three phases and resumable training."""
from .atomic_checkpoint_hook import (AtomicCheckpointHook,  # registers it
                                     CheckpointWriteError, NonFiniteWeightsError)
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError  # registers it
from .iteration_seed_hook import IterationSeedHook  # registers it
from .three_phase_hook import ThreePhaseTrainingHook  # registers it

__all__ = [
    'AtomicCheckpointHook', 'CheckpointWriteError', 'FiniteLossHook', 'IterationSeedHook',
    'NonFiniteLossError', 'NonFiniteWeightsError', 'ThreePhaseTrainingHook'
]
