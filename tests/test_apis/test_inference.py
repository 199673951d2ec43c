"""Inference on a list of photos: outputs appear image by image."""
import csv
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmskin.apis import LesionPrediction, inference, run_inference
from mmskin.utils import list_images

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'


def _rows(out_dir: Path) -> list:
    with open(out_dir / 'predictions.csv', newline='') as f:
        return list(csv.DictReader(f))


def _fake_prediction(image: np.ndarray, lesion_mask) -> LesionPrediction:
    h, w = image.shape[:2]
    return LesionPrediction(p_malignant=0.25, pred_label=0, score=0.9,
                            bbox=np.array([1, 2, w - 1, h - 2], np.float32),
                            mask=lesion_mask(h, w) > 0, detected=True)


def test_interrupted_run_keeps_finished_images(photos, monkeypatch, tmp_path):
    """Rows are flushed and files complete as soon as each image is done."""
    folder = tmp_path / 'in'
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f'p{i}.png'), photos.photo(50, 70))
    cv2.imwrite(str(folder / 'p0.jpg'), photos.photo(50, 70))  # same stem as p0.png
    calls = []

    def predict(model, image, pipeline=None, threshold=0.5):
        calls.append(image.shape)
        if len(calls) == 3:
            raise RuntimeError('interrupted')
        return _fake_prediction(image, photos.lesion_mask)

    monkeypatch.setattr(inference, 'predict_lesion', predict)
    model = SimpleNamespace(cfg=Config.fromfile(str(CONFIG)))
    lines = []
    out = tmp_path / 'out'
    with pytest.raises(RuntimeError, match='interrupted'):
        run_inference(model, list_images(folder), out, progress=False, report=lines.append)
    rows = _rows(out)
    assert [r['image_id'] for r in rows] == ['p0', 'p1']
    assert rows[0]['pred_label'] == '0' and float(rows[0]['p_malignant']) == 0.25
    assert lines == [f'skipped {folder / "p0.png"}: same name stem as {folder / "p0.jpg"}, '
                     'whose outputs would be overwritten']
    assert sorted(p.name for p in (out / 'masks').iterdir()) == [
        'p0_segmentation.png', 'p1_segmentation.png']
    assert sorted(p.name for p in (out / 'overlays').iterdir()) == ['p0.jpg', 'p1.jpg']
