"""init_cpu_distributed and the launch scripts' argument checks (the
two-process run itself is in test_dist_train.py)."""
import subprocess
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from mmskin.engine import init_cpu_distributed

REPO = Path(__file__).resolve().parents[2]


def test_single_process_and_cuda_runs_are_left_to_mmengine(monkeypatch):
    assert init_cpu_distributed('none') is False
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert init_cpu_distributed('pytorch') is False
    assert not dist.is_initialized()


@pytest.mark.parametrize('launcher', ['slurm', 'mpi'])
def test_launchers_that_need_gpus_are_refused_clearly_without_cuda(launcher, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match=f'--launcher {launcher}: needs CUDA GPUs'):
        init_cpu_distributed(launcher)


@pytest.mark.parametrize('script, needed', [
    ('dist_train.sh', 'CONFIG GPUS'), ('dist_test.sh', 'CONFIG CHECKPOINT GPUS'),
    ('slurm_train.sh', 'PARTITION JOB_NAME CONFIG WORK_DIR'),
    ('slurm_test.sh', 'PARTITION JOB_NAME CONFIG CHECKPOINT'),
])
def test_launch_scripts_print_their_usage_when_arguments_are_missing(script, needed):
    result = subprocess.run(['bash', str(REPO / 'tools' / script), 'only_one_argument'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'usage: bash' in result.stderr and needed in result.stderr
