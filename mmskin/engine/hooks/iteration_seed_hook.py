"""Random sampling in the model that a resumed run repeats exactly."""
from typing import Optional, Union

import numpy as np
import torch
from mmengine.hooks import Hook

from mmdet.registry import HOOKS


def iteration_seed(seed: int, rank: int, iteration: int) -> int:
    """A 63-bit seed for one rank and iteration, independent streams for
    different arguments (NumPy's ``SeedSequence`` mixing). The run's seed
    counts modulo 2**64, the range of torch's seeds."""
    state = np.random.SeedSequence([seed % 2**64, rank, iteration])
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


@HOOKS.register_module()
class IterationSeedHook(Hook):
    """Seed torch's generators from (seed, rank, iteration) before every
    training iteration.

    Mask R-CNN draws random numbers in the model itself: the RPN and RoI
    samplers pick the anchors and RoIs of each image at random (torch's
    generator, on the CPU or the GPU). mmengine saves no generator state in
    a checkpoint, so after ``--resume`` these draws differ from those of the
    uninterrupted run, and so do the parameters. Seeding torch from the run's
    seed, the process rank and ``runner.iter`` makes each iteration's draws
    a function of the iteration alone, as the three-phase hook does for the
    phase (as fairseq seeds each update).

    The data pipeline is not touched: mmengine already repeats it on resume
    (dataloader workers are seeded from the run's seed, and the batches seen
    before the checkpoint are drawn again and skipped).

    On GPUs the parameters of a resumed run still differ in the last bits
    unless ``randomness.deterministic=True``: some CUDA kernels (e.g.
    RoIAlign's backward) add in a nondeterministic order.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Union[dict, tuple, list]] = None
                          ) -> None:
        """Seed torch (every device) for iteration ``runner.iter``."""
        torch.manual_seed(iteration_seed(runner.seed, runner.rank, runner.iter))
