"""tools/run_real_cpu.sh end to end on a few real ISIC 2017 images."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]


def _stamped_env() -> dict:
    """The environment under which tools/setup_env.sh finds this venv complete
    (its stamp: TORCH_SPEC|MMCV_WHEEL|...), so the script installs nothing."""
    venv = Path(sys.prefix)
    stamp = venv / '.mmskin-installed'
    if not stamp.is_file():
        pytest.fail(f'{stamp}: missing; this venv was not made by tools/setup_env.sh')
    torch_spec, wheel, _ = stamp.read_text().strip().split('|', 2)
    env = dict(os.environ, VENV=str(venv), TORCH_SPEC=torch_spec)
    env.pop('MMCV_WHEEL', None)
    if wheel != 'source':
        env['MMCV_WHEEL'] = wheel
    return env


@pytest.mark.slow
def test_recipe_script_fits_the_operating_point_on_the_calibration_part(shared_data, tmp_path):
    isic_dir = shared_data / 'isic2017_train'
    with open(isic_dir / 'labels.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    malignant = [r['image_id'] for r in rows if float(r['melanoma']) == 1.0][:6]
    benign = [r['image_id'] for r in rows if float(r['melanoma']) == 0.0][:12]
    parts = {'train': malignant[:2] + benign[:4], 'calib': malignant[2:4] + benign[4:8],
             'val': malignant[4:6] + benign[8:12]}
    prefix = tmp_path / 'split'
    for part, ids in parts.items():
        (tmp_path / f'split_{part}.txt').write_text('\n'.join(ids) + '\n')
    config = tmp_path / 'two_iters.py'
    config.write_text(f"_base_ = '{REPO}/configs/isic/isic2017_cpu_r18_hour.py'\n"
                      'train_cfg = dict(max_iters=2)\n'
                      'train_dataloader = dict(batch_size=2, num_workers=0,'
                      ' persistent_workers=False)\n')
    work_dir = tmp_path / 'run'
    env = _stamped_env()
    env.update(ISIC_DIR=str(isic_dir), WORK_DIR=str(work_dir), CONFIG=str(config),
               SPLIT=str(prefix), SEED='3', OMP_NUM_THREADS='1',
               CFG_OPTIONS='model.roi_head.bbox_head.loss_cls.beta=0.5 '
                           'model.lesion_cfg.score_thr=0.01')
    done = subprocess.run(['bash', str(REPO / 'tools/run_real_cpu.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    # the seed reached the training run (its log and its config dump)
    train_log = sorted(work_dir.glob('*/*.log'))[0].read_text()
    assert 'randomness = dict(seed=3)' in train_log
    # the tests in the same work dir (with flips) left the training's config as it was
    trained = Config.fromfile(str(work_dir / 'two_iters.py'))
    assert trained.randomness.seed == 3
    assert trained.model.type == 'SkinLesionMaskRCNN'
    assert trained.get('load_from') is None
    # CFG_OPTIONS reached the training and both tests
    assert trained.model.roi_head.bbox_head.loss_cls.beta == 0.5
    for log in ('calib_test.log', 'test.log'):
        assert 'score_thr=0.01' in (work_dir / log).read_text(), log
    # operating point fitted on the calibration images only
    point = json.loads((work_dir / 'operating_point.json').read_text())
    assert point['n'] == len(parts['calib'])
    assert point['n_malignant'] == 2
    with open(work_dir / 'calib/isic_out/per_image.csv', newline='') as f:
        assert sorted(r['image_id'] for r in csv.DictReader(f)) == sorted(parts['calib'])
    # validation scored with test-time flips, at 0.5 and at the point
    with open(work_dir / 'isic_out/per_image.csv', newline='') as f:
        assert sorted(r['image_id'] for r in csv.DictReader(f)) == sorted(parts['val'])
    assert (work_dir / 'isic_out/report.html').is_file()
    out = done.stdout
    assert 'ISIC classification at the operating point' in out
    assert f'at {point["threshold"]:.4f}' in out
    assert 'Lesion-area baseline' in out
    assert 'Run against the lesion-area baseline on 6 images' in out
    assert '6 training, 6 calibration, 6 validation images' in out
    assert 'wall time:' in out


@pytest.mark.parametrize('setting, message', [
    (dict(SEED='1e3'), 'error: SEED=1e3: not a non-negative integer'),
    (dict(RULE='sens900'), "error: RULE=sens900: unknown rule 'sens900'"),
    (dict(SPLIT='configs/isic/splits/isic2017_train'),
     'error: configs/isic/splits/isic2017_train_calib.txt: no such file'),
    (dict(CFG_OPTIONS='train_cfg.max_iters=2 model.roi_head'),
     "error: CFG_OPTIONS: 'model.roi_head' is not key=value"),
    (dict(CFG_OPTIONS='randomness.seed=4'),
     "error: CFG_OPTIONS: 'randomness.seed' is set by the script"),
    (dict(CFG_OPTIONS='test_dataloader.dataset.data_prefix.img=/elsewhere/'),
     "error: CFG_OPTIONS: 'test_dataloader.dataset.data_prefix.img' is set by the script"),
    (dict(CFG_OPTIONS='train_dataloader.dataset={}'),
     "error: CFG_OPTIONS: 'train_dataloader.dataset' is set by the script"),
])
def test_recipe_script_refuses_bad_settings_before_it_writes(setting, message, tmp_path):
    work_dir = tmp_path / 'run'
    env = _stamped_env()
    env.update(WORK_DIR=str(work_dir), **setting)
    done = subprocess.run(['bash', str(REPO / 'tools/run_real_cpu.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert message in done.stderr
    assert 'Traceback' not in done.stderr
    assert not work_dir.exists()
