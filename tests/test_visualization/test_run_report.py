"""``tools/test.py --isic-out DIR --report``: intervals printed beside the
scores, and the report written from the test dataset's photos and masks."""
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from mmskin.visualization.run_report import dataset_sources
from mmskin.evaluation import read_per_image

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'
TOOL = REPO / 'tools/test.py'


def _tiny_model(tiny_coco, make_cpu_cfg, tmp_path):
    """The paper's config shrunk to a tiny CPU model and an untrained checkpoint."""
    cfg = make_cpu_cfg(Config.fromfile(str(CONFIG)), tiny_coco, str(tmp_path / 'work'))
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=20)
    cfg.model.test_cfg.rcnn.max_per_img = 5
    init_default_scope('mmdet')
    checkpoint = tmp_path / 'tiny.pth'
    save_checkpoint(dict(state_dict=MODELS.build(cfg.model).state_dict(),
                         message_hub=dict(log=HistoryBuffer())), str(checkpoint))
    config = tmp_path / 'tiny_config.py'
    cfg.dump(str(config))
    return cfg, config, checkpoint


def test_ground_truth_masks_come_from_the_annotations(tiny_coco, make_cpu_cfg, tmp_path):
    cfg, _, _ = _tiny_model(tiny_coco, make_cpu_cfg, tmp_path)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    photos, gt_mask = dataset_sources(dataset)
    assert len(photos) == 6 and all(path.is_file() for path in photos.values())
    gt_dir = Path(tiny_coco['data_root']) / 'ISIC-2017_Test_v2_Part1_GroundTruth'
    for image_id in photos:
        expected = cv2.imread(str(gt_dir / f'{image_id}_segmentation.png'), cv2.IMREAD_GRAYSCALE)
        assert np.array_equal(gt_mask(image_id), expected > 0), image_id
    assert gt_mask('ISIC_9999999') is None


def test_test_tool_prints_intervals_and_writes_the_report(tiny_coco, make_cpu_cfg, tmp_path):
    _, config, checkpoint = _tiny_model(tiny_coco, make_cpu_cfg, tmp_path)
    out = tmp_path / 'isic_out'
    result = subprocess.run(
        [sys.executable, str(TOOL), str(config), str(checkpoint), '--work-dir',
         str(tmp_path / 'work'), '--isic-out', str(out), '--report', '--ci-resamples', '200'],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert log.count('95% CI') == 2  # both tables
    assert re.search(r'\| JA +\| [0-9.]+ +\| \[[0-9.]+, [0-9.]+\] \|', log)
    assert f'report: {out / "report.html"}' in log
    html = (out / 'report.html').read_text()
    data = read_per_image(str(out / 'per_image.csv'))
    assert f'<span id="n-images">{len(data["image_id"])}</span>' in html
    shown = re.findall(r'data-image-id="([^"]+)"', html)
    assert set(shown) == set(data['image_id'].tolist())
    assert len(re.findall(r'<img alt="ISIC_\d+" src="data:image/jpeg;base64,', html)) == len(shown)
    assert 'photo not found' not in html and 'ground-truth mask of another size' not in html

    # --report without --isic-out: one line, no traceback
    result = subprocess.run([sys.executable, str(TOOL), str(config), str(checkpoint), '--report'],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        'error: --report needs --isic-out: the report is written from its files')
    assert 'Traceback' not in result.stderr


def test_test_tool_report_with_saliency_maps(tiny_coco, make_cpu_cfg, tmp_path):
    _, config, checkpoint = _tiny_model(tiny_coco, make_cpu_cfg, tmp_path)
    out = tmp_path / 'isic_out'
    base = [sys.executable, str(TOOL), str(config), str(checkpoint), '--work-dir',
            str(tmp_path / 'work'), '--isic-out', str(out), '--ci', 'none']
    result = subprocess.run(base + ['--report', '--cam', '--cam-layer', 'backbone.layer3'],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    html = (out / 'report.html').read_text()
    cases = re.findall(r'<figure class="case" data-image-id="([^"]+)"', html)
    maps = re.findall(r'<img class="cam" alt="saliency of (ISIC_\d+)" src="data:image/jpeg;', html)
    assert maps == cases and 'data-gallery="most-confident"' in html

    for flags, problem in ((['--cam'], '--cam needs --report: the maps are shown in the report'),
                           (['--report', '--cam', '--cam-layer', 'neck.fpn9'],
                            "layer 'neck.fpn9' is not a module of SkinLesionMaskRCNN")):
        result = subprocess.run(base + flags, capture_output=True, text=True, timeout=300,
                                cwd=REPO)
        assert result.returncode == 1 and 'Traceback' not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(f'error: {problem}')
    assert (out / 'report.html').read_text() == html, 'a failed run must leave the report'
