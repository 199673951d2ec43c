"""An output folder that holds the files of one whole run, never a mixture.

``tools/test.py --isic-out DIR`` writes masks while it runs and the CSVs at
the end; a run that fails or is killed half-way would otherwise leave new
masks beside the previous run's ``per_image.csv``.
"""
import shutil
from pathlib import Path
from typing import Iterable, Optional, Union

from mmengine.dist import barrier, is_main_process

from mmskin.utils import check_output_folder, check_writable_dir, mark_output_folder


def staging_dir(target: Union[str, Path]) -> Path:
    """Where a run writes the files meant for ``target``: a hidden folder
    beside it (same file system, so it can be renamed into place)."""
    target = Path(target)
    return target.with_name(f'.{target.name}.partial')


class StagedOutputFolder:
    """Put a run's folder in place of ``target`` only when the run succeeds.

    The run writes into :func:`staging_dir` ``(target)``, marked as mmskin's
    (:func:`~mmskin.utils.mark_output_folder`). On success the staging
    folder replaces ``target`` (the previous one is moved aside, then
    removed); on failure it is removed and ``target`` stays as the previous
    run left it. Only a folder that an earlier run wrote, or an empty one,
    is replaced: a file, a folder of other files or one holding an input of
    the run is refused before anything is written
    (:func:`~mmskin.utils.check_output_folder`). A run killed outright
    leaves at most the hidden staging folder, which the next run clears; a
    kill between the two renames of the swap is repaired by the next run
    too. Under DDP only the main process moves folders; every process may
    write into the staging folder.

    Args:
        target: the output folder.
        role: what it is, for messages (e.g. ``'--isic-out'``).
        inputs: the run's input files and folders, which ``target`` must
            not hold.

    Raises:
        ISICFileError: ``target`` cannot be replaced, or the staging folder
            cannot be written (read-only or full).
    """

    def __init__(self, target: Union[str, Path], role: str = 'output folder',
                 inputs: Iterable[Optional[Union[str, Path]]] = ()) -> None:
        self.target = Path(target)
        self.role = role
        self.inputs = list(inputs)
        self.staging = staging_dir(self.target)
        self.previous = self.target.with_name(f'.{self.target.name}.previous')

    def __enter__(self) -> Path:
        if is_main_process():
            if self.previous.is_dir():
                if self.target.exists():
                    shutil.rmtree(self.previous)
                else:  # killed in the middle of a swap
                    self.previous.rename(self.target)
            check_output_folder(self.target, self.role, self.inputs, replaced=True)
            shutil.rmtree(self.staging, ignore_errors=True)
            check_writable_dir(self.staging, 'output folder')
            mark_output_folder(self.staging)
        barrier()
        return self.staging

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            barrier()  # every process has written its files
        if not is_main_process():
            return
        if kind is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            return
        if self.target.exists():
            self.target.rename(self.previous)
        self.staging.rename(self.target)
        shutil.rmtree(self.previous, ignore_errors=True)
