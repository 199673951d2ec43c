"""Training hooks: the paper's three phases and resumable training."""
from .atomic_checkpoint_hook import AtomicCheckpointHook  # registers it
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError  # registers it
from .iteration_seed_hook import IterationSeedHook  # registers it
from .three_phase_hook import ThreePhaseTrainingHook  # registers it

__all__ = [
    'AtomicCheckpointHook', 'FiniteLossHook', 'IterationSeedHook', 'NonFiniteLossError',
    'ThreePhaseTrainingHook'
]
