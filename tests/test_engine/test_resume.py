"""find_resume_checkpoint: what `--resume` without a path continues from."""
import pytest
import torch

from mmskin.engine import find_resume_checkpoint, is_complete_checkpoint


def write_checkpoint(path) -> bytes:
    torch.save(dict(meta=dict(iter=3), state_dict=dict(w=torch.ones(64))), path)
    return path.read_bytes()


def test_returns_the_checkpoint_named_by_the_record(tmp_path):
    ckpt = tmp_path / 'iter_3.pth'
    write_checkpoint(ckpt)
    (tmp_path / 'last_checkpoint').write_text(f'{ckpt}\n')
    assert find_resume_checkpoint(str(tmp_path)) == str(ckpt)


def test_an_empty_work_dir_is_an_error_not_a_fresh_start(tmp_path):
    with pytest.raises(FileNotFoundError, match='no checkpoint to resume from in'):
        find_resume_checkpoint(str(tmp_path))


def test_an_empty_record_is_an_error(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('')
    with pytest.raises(ValueError, match='last_checkpoint is empty'):
        find_resume_checkpoint(str(tmp_path))


def test_a_record_naming_a_missing_file_is_an_error(tmp_path):
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_9.pth'))
    with pytest.raises(FileNotFoundError, match='iter_9.pth, which does not exist'):
        find_resume_checkpoint(str(tmp_path))


def test_a_truncated_checkpoint_is_refused(tmp_path):
    ckpt = tmp_path / 'iter_3.pth'
    data = write_checkpoint(ckpt)
    assert is_complete_checkpoint(str(ckpt))
    ckpt.write_bytes(data[:len(data) - 10])
    assert not is_complete_checkpoint(str(ckpt))
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    with pytest.raises(ValueError, match='incomplete or corrupt'):
        find_resume_checkpoint(str(tmp_path))
