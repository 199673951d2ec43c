"""Writing output files whole or not at all.

Every file mmskin writes for a user (COCO annotations, CSVs, mask PNGs,
overlays, checkpoints) goes through :func:`write_bytes_atomic`: the data go
to a temporary file in the same folder, are flushed to disk and checked
(every byte must be on disk: a full disk can otherwise leave an empty file
behind a successful call), and only then replace the target in one step
(``os.replace``). A reader, or a run that was killed, sees the old file or
the whole new one, never a part. The file gets the usual permissions
(``0o666`` less the umask), as ``open`` would give it.
"""
import csv
import errno
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import cv2
import numpy as np

from .isic_files import ISICFileError

PathLike = Union[str, os.PathLike]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: PathLike, data: bytes, partial: Optional[PathLike] = None) -> None:
    """Write ``data`` to ``path`` atomically.

    Args:
        path: the file to write; its folder is created if needed.
        data: the whole content.
        partial: the temporary file to write first (default: a fresh hidden
            name in the same folder). It must be on the same file system.

    Raises:
        OSError: naming ``path``, if the data cannot be written in full;
            ``path`` is then left as it was and no temporary file remains.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if partial is None:
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.',
                                            suffix='.tmp')
        else:
            tmp_name = str(partial)
            fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except OSError as error:
        raise _naming(path, error) from error
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        written = os.path.getsize(tmp_name)
        if written != len(data):
            raise OSError(errno.ENOSPC,
                          f'{path}: only {written} of {len(data)} bytes reached the disk')
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, path)
    except BaseException as error:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and str(path) not in str(error):
            raise _naming(path, error) from error
        raise


def _naming(path: Path, error: OSError) -> OSError:
    """``error`` as an OSError whose message names ``path`` (not a temporary file)."""
    return OSError(error.errno, f'{path}: cannot write the file ({error.strerror or error})')


def check_writable_dir(folder: PathLike, role: str = 'output folder') -> Path:
    """Create ``folder`` if needed and check that a file can be written in it.

    Run before a long job, so that a read-only or full folder stops it at
    once rather than after hours, and with a message naming the folder.

    Args:
        folder: the folder.
        role: what the folder is, for the message (e.g. 'work directory').

    Raises:
        ISICFileError: ``'<folder>: <role> is not writable (<reason>)'``.
    """
    folder = Path(folder)
    probe = folder / f'.write_test.{os.getpid()}'
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(probe, b'mmskin write test\n')
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        raise ISICFileError(folder, f'{role} is not writable ({reason})') from None
    return folder


def write_text_atomic(path: PathLike, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode('utf-8'))


def dump_json_atomic(obj: object, path: PathLike) -> None:
    """Write ``obj`` as JSON atomically."""
    write_text_atomic(path, json.dumps(obj))


def write_csv_atomic(path: PathLike, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write a CSV file (header, then rows) atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())


def write_image_atomic(path: PathLike, image: np.ndarray, params: Sequence[int] = ()) -> None:
    """Encode ``image`` in the format of ``path``'s suffix and write it atomically."""
    path = Path(path)
    ok, buffer = cv2.imencode(path.suffix, image, list(params))
    if not ok:
        raise OSError(f'{path}: OpenCV could not encode the image as {path.suffix}')
    write_bytes_atomic(path, buffer.tobytes())


def write_mask_atomic(path: PathLike, mask: np.ndarray) -> None:
    """Write a lesion mask as the ISIC files hold them: one-channel 0/255 PNG.

    0/255 and not 0/1: the official scorer binarises at ``> 128`` and would
    read a 0/1 mask as all background.
    """
    write_image_atomic(path, np.asarray(mask, dtype=bool).astype(np.uint8) * 255)
