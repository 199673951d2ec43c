"""Fixtures for the tests of the command-line tools."""
import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmskin.datasets import generate_isic_layout
from mmskin.evaluation import PER_IMAGE_COLUMNS
from mmskin.evaluation.metrics import ISICClsMetric, ISICSegMetric


def write_per_image_csv(path, image_ids, gt_labels, p_malignant, ja, **columns):
    """A per_image.csv with the given columns; DI is derived from JA and
    the columns not given are 0 (pred_label: p_malignant > 0.5)."""
    path = Path(path)
    ja = np.asarray(ja, dtype=float)
    values = dict(image_id=list(image_ids), gt_label=list(gt_labels),
                  p_malignant=list(p_malignant), JA=ja.tolist(),
                  DI=(2 * ja / (1 + ja)).tolist(),
                  pred_label=[int(p > 0.5) for p in p_malignant], detected=[1] * len(ja))
    values.update(columns)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(PER_IMAGE_COLUMNS)
        for i in range(len(ja)):
            writer.writerow([values[c][i] if c in values else 0 for c in PER_IMAGE_COLUMNS])
    return path


def _shifted(mask, dx):
    out = np.zeros_like(mask)
    if dx >= 0:
        out[:, dx:] = mask[:, :mask.shape[1] - dx]
    else:
        out[:, :dx] = mask[:, -dx:]
    return out


@pytest.fixture(scope='session')
def synthetic_run(tmp_path_factory):
    """A test run's output folder without a model: synthetic ISIC 2017 test
    images, predicted masks that are the ground truth shifted by a varying
    amount (one image with no detection), probabilities with some wrong
    calls, scored by the ISIC metrics into ``run_dir``.

    Returns dict(run_dir, img_dir, gt_dir) of Paths.
    """
    root = tmp_path_factory.mktemp('synthetic_run')
    generate_isic_layout(root / 'data', layout='isic2017', num_train=0, num_val=0, num_test=14,
                         seed=3, scale=0.04, malignant_fraction=0.4)
    img_dir = root / 'data' / 'ISIC-2017_Test_v2_Data'
    gt_dir = root / 'data' / 'ISIC-2017_Test_v2_Part1_GroundTruth'
    labels = {}
    with open(root / 'data' / 'ISIC-2017_Test_v2_Part3_GroundTruth.csv') as f:
        for row in csv.DictReader(f):
            labels[row['image_id']] = int(float(row['melanoma']))
    rng = np.random.default_rng(0)
    run_dir = root / 'run'
    metrics = [ISICSegMetric(out_dir=str(run_dir)), ISICClsMetric(out_dir=str(run_dir))]
    for i, image_id in enumerate(sorted(labels)):
        gt = cv2.imread(str(gt_dir / f'{image_id}_segmentation.png'), cv2.IMREAD_GRAYSCALE) > 0
        detected = i != 5
        pred = _shifted(gt, 3 * i - 12) if detected else np.zeros_like(gt)
        # mostly right; image 2 (benign) a confident false alarm, image 5
        # (malignant, not detected) a miss
        p = float(np.clip(0.25 + 0.5 * labels[image_id] + 0.15 * rng.normal(), 0.01, 0.99))
        p = 0.97 if i == 2 else p if detected else 0.0
        ys, xs = np.nonzero(pred)
        bbox = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] if detected else [0, 0, 0, 0]
        sample = dict(img_path=str(img_dir / f'{image_id}.jpg'), ori_shape=gt.shape,
                      gt_instances=dict(labels=np.array([labels[image_id]]), masks=gt[None]),
                      pred_lesion=dict(p_malignant=p, pred_label=int(p > 0.5), score=0.9 * detected,
                                       bbox=np.array(bbox, float), mask=pred, detected=detected))
        for metric in metrics:
            metric.process({}, [sample])
    for metric in metrics:
        metric.compute_metrics(metric.results)
    return dict(run_dir=run_dir, img_dir=img_dir, gt_dir=gt_dir)
