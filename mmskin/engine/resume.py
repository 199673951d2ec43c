"""Finding the checkpoint that ``--resume`` continues from."""
import os.path as osp
import zipfile


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` file.

    torch saves a zip archive whose central directory is written last, so a
    file cut short by a killed writer is not a valid zip archive.
    """
    return osp.isfile(path) and zipfile.is_zipfile(path)


def find_resume_checkpoint(work_dir: str) -> str:
    """The checkpoint that ``--resume`` (without a path) continues from.

    That is the one named by ``<work_dir>/last_checkpoint``, which
    :class:`~mmskin.engine.AtomicCheckpointHook` (like mmengine's
    CheckpointHook) writes after each checkpoint. mmengine's own
    ``resume=True`` silently trains from scratch when there is none; this
    raises instead.

    Args:
        work_dir: the run's work directory.

    Returns:
        Path of a complete checkpoint file.

    Raises:
        FileNotFoundError: no ``last_checkpoint`` record, or the checkpoint
            it names does not exist.
        ValueError: the record is empty, or the checkpoint is incomplete
            (written by a run killed meanwhile, without the atomic hook).
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        raise FileNotFoundError(
            f'--resume: no checkpoint to resume from in {work_dir}: '
            f'{record} does not exist (it is written with every '
            'checkpoint). Start without --resume, or name a checkpoint: '
            '--resume PATH.')
    with open(record) as f:
        path = f.read().strip()
    if not path:
        raise ValueError(f'--resume: {record} is empty; expected the path '
                         'of the latest checkpoint. Name one: --resume PATH.')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'--resume: {record} names {path}, which does not exist. Name '
            'an existing checkpoint: --resume PATH.')
    if not is_complete_checkpoint(path):
        raise ValueError(
            f'--resume: {path} (named by {record}) is incomplete or corrupt: '
            'not a whole torch checkpoint. Name an earlier one: '
            '--resume PATH.')
    return path
