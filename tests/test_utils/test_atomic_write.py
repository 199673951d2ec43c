"""Output files are written whole or not at all."""
import os
import stat

import cv2
import numpy as np
import pytest

from mmskin.utils import (dump_json_atomic, write_bytes_atomic, write_csv_atomic,
                          write_mask_atomic)
from mmskin.utils import atomic_write


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / 'out.json'
    out.write_text('previous')

    def broken_fsync(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(atomic_write.os, 'fsync', broken_fsync)
    with pytest.raises(OSError, match=f'{out}: cannot write the file'):
        dump_json_atomic({'images': []}, out)
    assert out.read_text() == 'previous'
    assert [p.name for p in tmp_path.iterdir()] == ['out.json']


def test_bytes_missing_on_disk_are_an_error(tmp_path, monkeypatch):
    """A full disk can let write() succeed and leave the file short."""
    out = tmp_path / 'mask.png'
    monkeypatch.setattr(atomic_write.os.path, 'getsize', lambda path: 0)
    with pytest.raises(OSError, match=f'{out}: only 0 of 3 bytes reached the disk'):
        write_bytes_atomic(out, b'abc')
    assert not out.exists() and not list(tmp_path.iterdir())


def test_files_get_the_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        write_bytes_atomic(tmp_path / 'a.bin', b'x')
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'a.bin').stat().st_mode) == 0o640


def test_partial_name_csv_and_mask(tmp_path):
    write_bytes_atomic(tmp_path / 'p', b'data', partial=tmp_path / 'p.part')
    assert (tmp_path / 'p').read_bytes() == b'data' and not (tmp_path / 'p.part').exists()
    write_csv_atomic(tmp_path / 'sub' / 't.csv', ('a', 'b'), [(1, 'x,y')])
    assert (tmp_path / 'sub' / 't.csv').read_text() == 'a,b\n1,"x,y"\n'
    mask = np.zeros((5, 7), bool)
    mask[1:3, 2:5] = True
    write_mask_atomic(tmp_path / 'm.png', mask)
    written = cv2.imread(str(tmp_path / 'm.png'), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint8 and written.ndim == 2
    np.testing.assert_array_equal(written, mask.astype(np.uint8) * 255)


def test_check_writable_dir_creates_the_folder(tmp_path):
    folder = tmp_path / 'a' / 'b'
    assert atomic_write.check_writable_dir(folder) == folder
    assert folder.is_dir() and not list(folder.iterdir())


def test_check_writable_dir_names_an_unwritable_folder(tmp_path, monkeypatch):
    """Read-only: chmod where permissions stop the user; as root (whom
    they do not stop) the EACCES such a folder gives."""
    folder = tmp_path / 'ro'
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root

        def refused(*args, **kwargs):
            raise PermissionError(13, 'Permission denied')

        monkeypatch.setattr(atomic_write.tempfile, 'mkstemp', refused)
    try:
        with pytest.raises(atomic_write.ISICFileError,
                           match=f'{folder}: work directory is not writable '
                           r'\(.*Permission denied'):
            atomic_write.check_writable_dir(folder, 'work directory')
    finally:
        folder.chmod(0o755)


def test_check_writable_dir_names_a_file_in_the_way(tmp_path):
    (tmp_path / 'taken').write_text('a file')
    with pytest.raises(atomic_write.ISICFileError, match='output folder is not writable'):
        atomic_write.check_writable_dir(tmp_path / 'taken' / 'out')


def test_a_full_disk_is_an_error_naming_the_target(tmp_path):
    """RLIMIT_FSIZE makes writes fail with EFBIG, as a full disk does, for
    root too; the target is named, not the temporary file."""
    import subprocess
    import sys
    script = (
        'import resource, signal, sys\n'
        'from mmskin.utils import write_bytes_atomic\n'
        'signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n'
        'resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))\n'
        'try:\n'
        '    write_bytes_atomic(sys.argv[1], bytes(1000))\n'
        'except OSError as err:\n'
        '    print(err.strerror)\n')
    out = tmp_path / 'big.bin'
    out.write_bytes(b'earlier')
    result = subprocess.run([sys.executable, '-c', script, str(out)], capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.startswith(f'{out}: cannot write the file (File too large)'), result
    assert out.read_bytes() == b'earlier'
    assert [p.name for p in tmp_path.iterdir()] == ['big.bin']
