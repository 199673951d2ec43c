"""mmskin's checkpoint loaders serve mmengine only where mmskin runs."""
import subprocess
import sys

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from mmskin.utils import UntrustedCheckpointError, checkpoint as ckpt_mod


def test_importing_mmskin_leaves_mmengines_loaders_alone():
    """In a fresh interpreter, as a program that merely imports mmskin."""
    check = ('import mmengine.runner.checkpoint as c; before = dict(c.CheckpointLoader._schemes); '
             'import mmskin; assert c.CheckpointLoader._schemes == before')
    result = subprocess.run([sys.executable, '-c', check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_loaders_serve_only_inside_the_block(tmp_path):
    outside = dict(CheckpointLoader._schemes)
    assert outside[''] is not ckpt_mod.LOADERS['']
    path = tmp_path / 'objects.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1)), meta=dict(note=object)), path)
    with ckpt_mod.checkpoint_loaders():
        with ckpt_mod.checkpoint_loaders():  # nested: still mmskin's
            assert CheckpointLoader._schemes[''] is ckpt_mod.LOADERS['']
        with pytest.raises(UntrustedCheckpointError, match='objects.pth'):
            CheckpointLoader.load_checkpoint(str(path))
    assert CheckpointLoader._schemes == outside
    with pytest.raises(RuntimeError), ckpt_mod.checkpoint_loaders():
        raise RuntimeError('a failed run')
    assert CheckpointLoader._schemes == outside
