"""torch's thread count for CPU inference."""
import os
from typing import Optional

import torch

from .errors import ConfigError

#: CPU count up to which inference runs torch on one thread by default.
#: benchmarks/cpu_inference.py, 2 shared cores: one thread is 4.5x faster
#: at 256 px (1.9x at 1024 px) than torch's default of one per core (the
#: OpenMP workers of every operator wait on cores the other jobs hold);
#: masks and probabilities unchanged.
SINGLE_THREAD_MAX_CPUS = 2


def apply_cpu_threads(threads: Optional[int], device: str = 'cpu') -> int:
    """Set torch's intra-op threads for inference on ``device``; returns the
    number in use. Without ``threads``: 1 on a CPU machine with at most
    :data:`SINGLE_THREAD_MAX_CPUS` cores, else torch's default."""
    if threads is not None:
        if threads < 1:
            raise ConfigError(f'--cpu-threads {threads}: must be at least 1')
        torch.set_num_threads(threads)
    elif device.startswith('cpu') and (os.cpu_count() or 1) <= SINGLE_THREAD_MAX_CPUS:
        torch.set_num_threads(1)
    return torch.get_num_threads()
