"""Where a tool may write: one rule for every output path.

Every tool that writes files (the converter, the resizer, ``tools/test.py``,
``tools/infer.py``, ``make_tables`` and ``report``) checks its output paths
here before it writes anything:

* an output never replaces an input of the same run: an output file is
  never an input file nor inside an input folder, and a folder the tool
  writes into never holds an input;
* a folder that a run replaces as a whole (``tools/test.py --isic-out``) is
  replaced only if an earlier run of mmskin wrote it (it holds the marker
  file :data:`OUTPUT_MARKER`) or it is empty: a folder of other files is
  never emptied;
* where a file is expected there is no folder, and where a folder is
  expected (``--out-dir`` or its ``masks/``) there is no file.

Each refusal is an :class:`~mmskin.utils.ISICFileError`, one line naming the
path and the problem.
"""
import os
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .atomic_write import write_bytes_atomic
from .isic_files import ISICFileError, PathLike

#: The file in a folder written by mmskin that allows a later run to replace it.
OUTPUT_MARKER = '.mmskin_output'


def _real(path: PathLike) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_parents(path: Path, role: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ISICFileError(parent, f'is a file, but {role} {path} needs it to be a '
                                    'folder')
            return


def check_output_file(path: PathLike, role: str,
                      inputs: Iterable[Optional[PathLike]] = ()) -> Path:
    """Check that ``path`` can take a file the tool writes (or replaces).

    Args:
        path: the output file.
        role: what it is, for the message (e.g. ``'--out'``).
        inputs: the run's input files and folders (``None`` entries ignored).

    Raises:
        ISICFileError: ``path`` is a folder, below a file, an input file or
            inside an input folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ISICFileError(path, f'{role} is a folder; expected the name of a file to write')
    _check_parents(path, role)
    real = _real(path)
    for source in inputs:
        if source and _within(real, _real(source)):
            raise ISICFileError(path, f'{role} would replace an input of this run ({source}); '
                                'an output never replaces an input: choose another path')
    return path


def check_output_folder(path: PathLike, role: str, inputs: Iterable[Optional[PathLike]] = (),
                        subfolders: Sequence[str] = (), replaced: bool = False) -> Path:
    """Check that ``path`` can take a folder the tool writes into, or
    replaces as a whole (``replaced``).

    Args:
        path: the output folder.
        role: what it is, for the message (e.g. ``'--out-dir'``).
        inputs: the run's input files and folders (``None`` entries ignored).
        subfolders: folders the tool writes inside ``path`` (e.g. ``masks``).
        replaced: the run replaces the whole folder: it must be one an
            earlier run wrote (:data:`OUTPUT_MARKER`), or empty.

    Raises:
        ISICFileError: ``path`` or a subfolder is a file, ``path`` holds an
            input, or (``replaced``) it holds files mmskin did not write.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ISICFileError(path, f'{role} is a file; expected a folder')
    _check_parents(path, role)
    for name in subfolders:
        if (path / name).exists() and not (path / name).is_dir():
            raise ISICFileError(path / name, f'is a file; {role} needs a folder {name}/ here')
    real = _real(path)
    for source in inputs:
        if source and _within(_real(source), real):
            raise ISICFileError(path, f'{role} holds an input of this run ({source}); an '
                                'output folder never holds the inputs: choose another folder')
    if replaced and path.is_dir() and any(path.iterdir()) and \
            not (path / OUTPUT_MARKER).is_file():
        raise ISICFileError(path, f'{role} holds files that mmskin did not write (no '
                            f'{OUTPUT_MARKER} in it), and a run replaces this folder whole: '
                            'choose a new or empty folder')
    return path


def mark_output_folder(folder: PathLike) -> None:
    """Mark ``folder`` as written by mmskin, so that a later run may replace it."""
    write_bytes_atomic(Path(folder) / OUTPUT_MARKER,
                       b'written by mmskin; a later run of the same tool may replace '
                       b'this folder whole\n')
