"""Training curves from a real (tiny) run's scalar log and saved config."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmskin.visualization.training_curves import read_training_log

REPO = Path(__file__).resolve().parents[2]
MAIN_CONFIG = REPO / 'configs' / 'isic' / 'mask_rcnn_r50_fpn_focaljac.py'


@pytest.fixture(scope='module')
def plot_tool(load_tool):
    return load_tool('tools/analysis/plot_training.py')


def test_curves_of_a_three_phase_run(tiny_coco, make_cpu_cfg, tmp_path, plot_tool, capsys):
    work_dir = tmp_path / 'run'
    cfg = make_cpu_cfg(Config.fromfile(str(MAIN_CONFIG)), tiny_coco, str(work_dir), max_iters=6)
    # the three phases at iterations 0 / 2 / 4, lr / 10 from 4, validation every 3
    phases = cfg.custom_hooks[0].phases
    phases[1]['begin'], phases[2]['begin'] = 2, 4
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=2),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=6, milestones=[4], gamma=0.1)]
    cfg.train_cfg.val_interval = 3
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=20)
    Runner.from_cfg(cfg).train()

    log = read_training_log(str(work_dir))
    assert {'loss', 'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox',
            'loss_mask'} <= set(log.losses)
    assert log.losses['loss'][0].tolist() == [1, 2, 3, 4, 5, 6]
    iters, lr = log.learning_rate
    assert lr[-1] == pytest.approx(0.1 * lr[2])  # the step at iteration 4
    assert {'isic_seg/JA', 'isic_cls/AUC'} <= set(log.validation)
    assert log.validation['isic_seg/JA'][0].tolist() == [3, 6]
    assert (log.phase_begins, log.lr_milestones, log.max_iters) == ([0, 2, 4], [4], 6)

    out = tmp_path / 'curves.png'
    assert plot_tool.main([str(work_dir), '--out', str(out)]) == 0
    assert 'phases at [0, 2, 4], lr steps at [4]' in capsys.readouterr().out
    image = cv2.imread(str(out))
    assert image.shape[0] > 500 and len(np.unique(image.reshape(-1, 3), axis=0)) > 50


def test_epoch_logged_validation_and_bad_logs(plot_tool, tmp_path, capsys):
    vis_data = tmp_path / 'run' / '20260101_000000' / 'vis_data'
    vis_data.mkdir(parents=True)
    lines = [dict(iter=i, step=i, lr=0.01, loss=1.0 / i, loss_mask=0.5 / i) for i in (5, 10)]
    lines.insert(2, {'isic_seg/JA': 0.4, 'time': 1.0, 'step': 0})  # by epoch: epoch 0
    (vis_data / 'scalars.json').write_text('\n'.join(json.dumps(line) for line in lines))
    log = read_training_log(str(tmp_path / 'run'))
    assert log.validation['isic_seg/JA'][0].tolist() == [10]
    assert log.phase_begins == [] and log.losses['loss'][1].tolist() == [0.2, 0.1]

    (vis_data / 'scalars.json').write_text(json.dumps(lines[0]) + '\n{"iter": 2,\n')
    for work_dir, message in ((tmp_path / 'run', f'{vis_data / "scalars.json"}, line 2: not JSON'),
                              (tmp_path / 'none', f'{tmp_path / "none"}: work directory does '
                               'not exist'),
                              (vis_data, f'{vis_data}: no <timestamp>/vis_data/scalars.json')):
        assert plot_tool.main([str(work_dir)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f'error: {message}') and len(err.splitlines()) == 1, err


def test_the_documented_tensorboard_line(tmp_path):
    """The one config line of docs/evaluation.md adds mmengine's TensorBoard backend."""
    page = (REPO / 'docs' / 'evaluation.md').read_text()
    (line, ) = [line for line in page.splitlines() if 'TensorboardVisBackend' in line]
    leaf = tmp_path / 'leaf.py'
    leaf.write_text(f"_base_ = '{MAIN_CONFIG}'\n{line}\n")
    backends = Config.fromfile(str(leaf)).visualizer.vis_backends
    assert [b['type'] for b in backends] == ['LocalVisBackend', 'TensorboardVisBackend']
