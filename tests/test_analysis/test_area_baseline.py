"""The lesion-area baseline: mask area / image area, scored by the ISIC metric code."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from sklearn.metrics import roc_auc_score

from mmskin.analysis.area_baseline import area_baseline_summary, lesion_area_fractions
from mmskin.utils import ISICFileError

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'area_baseline.py'
# (width, height, lesion side in pixels, malignant)
IMAGES = [(20, 10, 2, 0), (10, 10, 5, 1), (10, 20, 4, 0), (10, 10, 6, 1), (10, 10, 1, 0)]


def _write_coco(path: Path, images=IMAGES) -> Path:
    coco = dict(images=[], annotations=[],
                categories=[dict(id=1, name='benign'), dict(id=2, name='malignant')])
    for i, (w, h, side, malignant) in enumerate(images, start=1):
        mask = np.zeros((h, w), np.uint8, order='F')
        mask[:side, :side] = 1
        rle = mask_utils.encode(mask)
        rle['counts'] = rle['counts'].decode()
        coco['images'].append(dict(id=i, file_name=f'images/ISIC_{i:07d}.jpg', width=w,
                                   height=h))
        coco['annotations'].append(dict(id=i, image_id=i, category_id=1 + malignant,
                                        segmentation=rle, area=float(side * side),
                                        bbox=[0, 0, side, side], iscrowd=0))
    path.write_text(json.dumps(coco))
    return path


def test_fractions_are_mask_area_over_image_area(tmp_path):
    labels, fractions = lesion_area_fractions(_write_coco(tmp_path / 'a.json'))
    assert labels.tolist() == [m for *_, m in IMAGES]
    assert fractions == pytest.approx([s * s / (w * h) for w, h, s, _ in IMAGES])


def test_auc_is_the_metric_codes(tmp_path):
    scores = area_baseline_summary(_write_coco(tmp_path / 'a.json'))
    labels = [m for *_, m in IMAGES]
    fractions = [s * s / (w * h) for w, h, s, _ in IMAGES]
    assert scores['AUC'] == pytest.approx(roc_auc_score(labels, fractions))
    assert (scores['n'], scores['n_malignant']) == (5, 2)
    assert not {'AC', 'SE', 'SP'} & set(scores)  # a fraction is no probability


def test_image_without_lesion_is_named(tmp_path):
    path = _write_coco(tmp_path / 'a.json')
    coco = json.loads(path.read_text())
    coco['annotations'] = coco['annotations'][1:]
    path.write_text(json.dumps(coco))
    with pytest.raises(ISICFileError, match=r'ISIC_0000001.jpg\) has no lesion annotation'):
        lesion_area_fractions(path)


def test_command_line_prints_the_auc(tmp_path):
    path = _write_coco(tmp_path / 'a.json')
    result = subprocess.run([sys.executable, str(TOOL), str(path), '--json'],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert 'Lesion-area baseline' in result.stdout and '5 images, 2 malignant' in result.stdout
    assert json.loads(result.stdout.strip().splitlines()[-1])['AUC'] == pytest.approx(
        area_baseline_summary(path)['AUC'])
