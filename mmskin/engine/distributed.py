"""Distributed training on machines without CUDA."""
import torch
import torch.distributed as dist


def init_cpu_distributed(launcher: str) -> bool:
    """Start the process group of a torchrun launch when torch has no CUDA.

    mmengine's ``init_dist`` (called by ``Runner``) calls
    ``torch.cuda.set_device``, which a CPU-only torch lacks, and would use
    the config's NCCL backend, which needs GPUs. ``Runner`` skips its own
    initialisation when a process group exists, so calling this first,
    before building the runner, makes ``tools/dist_train.sh`` work on CPUs
    with the gloo backend. With CUDA it does nothing.

    Args:
        launcher: the ``--launcher`` of the tools (``'none'``, ``'pytorch'``,
            ``'slurm'``, ``'mpi'``).

    Returns:
        Whether it started a process group.

    Raises:
        ValueError: ``launcher`` is ``'slurm'`` or ``'mpi'`` and there is no
            CUDA (mmengine supports those launchers on GPUs only).
    """
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise ValueError(
            f'--launcher {launcher}: needs CUDA GPUs, and torch '
            f'{torch.__version__} sees none. On CPUs, start with '
            'tools/dist_train.sh (torchrun, --launcher pytorch).')
    # torchrun sets MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE.
    dist.init_process_group(backend='gloo', init_method='env://')
    return True
