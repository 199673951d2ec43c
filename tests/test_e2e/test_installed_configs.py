"""A project of its own inherits mmskin's configs from the installed package:
``_base_ = 'mmskin::isic/...'`` resolves, trains and tests through the
console scripts with no copy of the repository left (docs/configs.md)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

LEAF = """_base_ = 'mmskin::isic/demo_cpu_r18.py'

data_root = '{data_root}/'
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='{train_ann}'))
test_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='{test_ann}'))
train_cfg = dict(max_iters=2)
"""
PAPER_LEAF = "_base_ = 'mmskin::isic/mask_rcnn_r50_fpn_focaljac.py'\n"
CHECK_PAPER_LEAF = """
import os
import mmengine.config.utils as mmengine_configs
import mmskin
from mmskin.apis import load_config
cfg = load_config('paper.py')
print(os.path.dirname(mmskin.__file__), cfg.model.backbone.depth, cfg.train_cfg.max_iters,
      'mmskin' in mmengine_configs.MODULE2PACKAGE)
"""


def run(cmd, **kwargs) -> str:
    """Run ``cmd``; its standard output."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f'{cmd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}'
    return done.stdout


def test_a_leaf_outside_the_repository_inherits_the_installed_configs(tiny_coco, tmp_path):
    source, site, project = tmp_path / 'source', tmp_path / 'site', tmp_path / 'project'
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        '.git', '.venv', '__pycache__', '*.egg-info', 'build', 'work_dirs', 'data',
        'outputs', '.mim', '.pytest_cache'))
    # Not editable, offline: the stack is the running environment's.
    run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation',
         '--no-index', '--target', site, source])
    shutil.rmtree(source)
    project.mkdir()
    (project / 'my_ablation.py').write_text(LEAF.format(**tiny_coco))
    (project / 'paper.py').write_text(PAPER_LEAF)
    # The installed copy, not the repository, is what the tools import.
    env = dict(os.environ, PYTHONPATH=str(site))

    def tool(name, *args):
        return run([site / 'bin' / f'mmskin-{name}', *args], cwd=project, env=env)

    # The installed copy, the paper's config among its configs, is what loads;
    # importing mmskin leaves mmengine's table of config packages alone.
    where = run([sys.executable, '-c', CHECK_PAPER_LEAF], cwd=project, env=env)
    assert where.strip().splitlines()[-1] == f'{site / "mmskin"} 50 160000 False'

    tool('train', 'my_ablation.py', '--work-dir', 'work')
    checkpoint = project / 'work' / 'iter_2.pth'
    assert checkpoint.is_file()
    out = tool('test', 'my_ablation.py', str(checkpoint), '--work-dir', 'work',
               '--isic-out', 'isic_out', '--ci', 'none')
    assert 'ISIC segmentation' in out
    assert (project / 'isic_out' / 'per_image.csv').is_file()
