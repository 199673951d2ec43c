"""benchmarks/train_profile.py and benchmarks/train_throughput.py in their
smoke mode: a tiny generated config, one or two iterations."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
MAIN_CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'


@pytest.fixture
def tiny_configs(tiny_coco, make_cpu_cfg, tmp_path):
    """A tiny config, and its copy in another file."""
    cfg = make_cpu_cfg(Config.fromfile(str(MAIN_CONFIG)), tiny_coco, str(tmp_path / 'work'))
    plain, same = tmp_path / 'plain.py', tmp_path / 'same.py'
    cfg.dump(str(plain))
    cfg.dump(str(same))
    return plain, same


def _run(*args) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get(
        'PYTHONPATH', '')]), OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_train_throughput_prints_the_ratio(tiny_configs):
    plain, same = tiny_configs
    out = _run('benchmarks/train_throughput.py', plain, same, '--iters', '2', '--warmup', '0')
    assert re.search(r'^machine: .+, bfloat16 flags: ', out, re.M), out
    ratio = re.search(r'^ratio B / A: ([\d.]+)x images/s \(wall\), ([\d.]+)x', out, re.M)
    assert ratio and float(ratio[1]) > 0 and float(ratio[2]) > 0, out
    rows = [line for line in out.splitlines() if line.startswith(('| A:', '| B:'))]
    assert len(rows) == 2
    # the same initial weights and batch: the same first loss
    first = [float(row.split('|')[-3]) for row in rows]
    assert first[1] == pytest.approx(first[0], rel=1e-3), rows


def test_train_throughput_refuses_other_weights(tiny_configs, tmp_path):
    plain, _ = tiny_configs
    cfg = Config.fromfile(str(plain))
    cfg.model.neck.out_channels = 16
    other = tmp_path / 'other.py'
    cfg.dump(str(other))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, 'benchmarks/train_throughput.py', str(plain),
                           str(other), '--iters', '1', '--warmup', '0'], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f'error: {other}: its model does not take the weights of {plain}')


def test_train_profile_prints_the_stages(tiny_configs):
    plain, _ = tiny_configs
    out = _run('benchmarks/train_profile.py', plain, '--iters', '1', '--warmup', '0',
               '--top', '3')
    stages = {line.split('|')[1].strip(): line.split('|')[2:5] for line in out.splitlines()
              if line.startswith('| ') and not line.startswith('| stage')}
    for stage in ('data', 'backbone', 'neck', 'proposals', 'box RoIAlign', 'mask head',
                  'backward: backbone', 'backward: neck', 'optimizer step', '**iteration**'):
        assert stage in stages, (stage, out)
    # the stages are parts of the iteration: their CPU shares sum to 100 %
    shares = [float(cells[2]) for name, cells in stages.items()
              if name != '**iteration**' and name in [s.split('|')[1].strip() for s in
                                                      out.split('## torch.profiler')[0]
                                                      .splitlines() if s.startswith('| ')]]
    assert sum(shares) == pytest.approx(100, abs=1.0)
    assert all(share >= -0.5 for share in shares), shares
    assert 'convolution' in out.split('## torch.profiler')[1]
