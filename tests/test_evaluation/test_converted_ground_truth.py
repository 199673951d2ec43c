"""The ISIC metrics of a test run, computed on ground truth that went through
the converter, equal the official scorer's on the original PNG masks.

Real ISBI 2016 masks (``../shared/isic_samples``) are converted with
``tools/dataset_converters/isic_to_coco.py`` (RLE, its default), loaded by
``ISICDataset`` with the test pipeline of the base config, and scored by
``ISICSegMetric`` (what ``tools/test.py`` runs) against predictions that
differ from them; ``tools/analysis/isic_score.py`` scores the masks that the
metric wrote against the original PNGs. Polygons (``--polygon``) would
score differently: that is why RLE is the default.
"""
import importlib.util
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

import mmskin  # noqa: F401  registers the dataset and the metrics
from mmskin.datasets.conversion import convert_to_coco, find_official_samples
from mmskin.analysis.scoring import score_segmentation_folders
from mmskin.utils import ISICFileError, read_mask, tight_box

REPO = Path(__file__).resolve().parents[2]
LAYOUT = ('ISBI2016_ISIC_Part1_Training_Data', 'ISBI2016_ISIC_Part1_Training_GroundTruth',
          'ISBI2016_ISIC_Part3_Training_GroundTruth.csv')
DATASET_CONFIG = REPO / 'configs/_base_/datasets/isic_instance.py'
#: Real images used (the first ones of the sample, 1022 x 767 and 1504 x 1129).
NUM_IMAGES = 6
METRICS = ('JA', 'DI', 'AC', 'SE', 'SP', 'TJA')


@pytest.fixture(scope='module')
def isic_samples(shared_data):
    return shared_data / 'isic_samples'


def _tool(path: str):
    spec = importlib.util.spec_from_file_location(Path(path).stem, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def real_samples(isic_samples, tmp_path_factory) -> Path:
    """The first NUM_IMAGES real images, masks and labels, official layout."""
    root = tmp_path_factory.mktemp('isbi2016')
    images, masks, labels = (root / name for name in LAYOUT)
    images.mkdir()
    masks.mkdir()
    ids = sorted(p.stem for p in (isic_samples / LAYOUT[0]).glob('*.jpg'))[:NUM_IMAGES]
    for image_id in ids:
        shutil.copy(isic_samples / LAYOUT[0] / f'{image_id}.jpg', images)
        shutil.copy(isic_samples / LAYOUT[1] / f'{image_id}_Segmentation.png', masks)
    rows = [line for line in (isic_samples / LAYOUT[2]).read_text().splitlines()
            if line.split(',')[0] in ids]
    labels.write_text('\n'.join(rows) + '\n')
    return root


def _prediction(gt_png: Path) -> np.ndarray:
    """A prediction that misses part of the lesion and adds some skin: the
    original mask shifted and eroded."""
    mask = cv2.imread(str(gt_png), cv2.IMREAD_UNCHANGED) > 128
    shifted = np.roll(mask, (17, -23), axis=(0, 1))
    return cv2.erode(shifted.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)


def _metric_on_converted(root: Path, ann_file: Path, out_dir: Path) -> dict:
    """ISICSegMetric of the shifted predictions, with the ground truth from
    the converted annotation file through the base test pipeline."""
    init_default_scope('mmdet')
    dataset_cfg = Config.fromfile(str(DATASET_CONFIG)).test_dataloader.dataset
    dataset_cfg.update(data_root=str(root), ann_file=str(ann_file))
    dataset = DATASETS.build(dataset_cfg)
    evaluator = Evaluator([dict(type='ISICSegMetric', out_dir=str(out_dir))])
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        image_id = Path(sample.img_path).stem
        pred = _prediction(root / LAYOUT[1] / f'{image_id}_Segmentation.png')
        sample.pred_lesion = BaseDataElement(
            mask=torch.from_numpy(pred), bbox=torch.from_numpy(tight_box(pred)),
            pred_label=0, p_malignant=0.2, score=0.9, detected=True)
        evaluator.process(data_samples=[sample])
    results = evaluator.evaluate(len(dataset))
    return {name: results[f'isic_seg/{name}'] for name in METRICS}


def _convert(root: Path, out: Path, *options: str) -> None:
    _tool('tools/dataset_converters/isic_to_coco.py').main(
        ['isbi2016', str(root), '--split', 'Training', '--out', str(out), *options])


def test_metric_on_converted_ground_truth_equals_the_scorer_on_the_pngs(real_samples, tmp_path,
                                                                        capsys):
    ann = tmp_path / 'train.json'
    _convert(real_samples, ann)
    segmentation = json.loads(ann.read_text())['annotations'][0]['segmentation']
    assert isinstance(segmentation, dict) and 'counts' in segmentation  # RLE by default

    ours = _metric_on_converted(real_samples, ann, tmp_path / 'isic_out')
    capsys.readouterr()
    rc = _tool('tools/analysis/isic_score.py').main(
        ['seg', str(tmp_path / 'isic_out' / 'masks'), str(real_samples / LAYOUT[1]), '--json'])
    assert rc == 0
    scorer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scorer['n'] == NUM_IMAGES
    assert 0.3 < scorer['JA'] < 0.95  # the predictions are neither perfect nor empty
    for name in METRICS:
        assert ours[name] == pytest.approx(scorer[name], abs=1e-9), name


def test_polygon_ground_truth_scores_differently(real_samples, tmp_path):
    """Why RLE is the default: polygons trace the outer contour on pixel
    centres, which changes the ground truth and so the score."""
    rle, polygon = tmp_path / 'rle.json', tmp_path / 'polygon.json'
    _convert(real_samples, rle)
    _convert(real_samples, polygon, '--polygon')
    on_rle = _metric_on_converted(real_samples, rle, tmp_path / 'a')
    on_polygon = _metric_on_converted(real_samples, polygon, tmp_path / 'b')
    assert abs(on_rle['JA'] - on_polygon['JA']) > 1e-6


def test_noisy_ground_truth_is_read_with_the_scorer_rule(real_samples, tmp_path):
    """JPEG-like noise, including values on both sides of 128 at the border:
    the readers binarise at > 128, so the scorer and a plain numpy
    computation of the official rule agree; the converter (strict) refuses
    the file rather than train or test on it."""
    gt_dir = tmp_path / 'gt'
    shutil.copytree(real_samples / LAYOUT[1], gt_dir)
    rng = np.random.default_rng(0)
    noisy_truth = {}
    for path in sorted(gt_dir.iterdir()):
        mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED).astype(int)
        border = cv2.morphologyEx((mask > 128).astype(np.uint8), cv2.MORPH_GRADIENT,
                                  np.ones((5, 5), np.uint8)) > 0
        noisy = np.where(mask > 128, 255 - rng.integers(0, 60, mask.shape),
                         rng.integers(0, 60, mask.shape))
        noisy[border] = rng.integers(100, 160, int(border.sum()))
        cv2.imwrite(str(path), noisy.astype(np.uint8))
        noisy_truth[path.name] = noisy > 128
        np.testing.assert_array_equal(read_mask(path), noisy > 128)
    pred_dir = tmp_path / 'pred'
    pred_dir.mkdir()
    for name in noisy_truth:
        cv2.imwrite(str(pred_dir / name),
                    _prediction(real_samples / LAYOUT[1] / name).astype(np.uint8) * 255)
    report = score_segmentation_folders(pred_dir, gt_dir)
    ja = []
    for name, truth in noisy_truth.items():
        pred = cv2.imread(str(pred_dir / name), cv2.IMREAD_UNCHANGED) > 128
        ja.append((pred & truth).sum() / (pred | truth).sum())
    assert report.summary['JA'] == pytest.approx(np.mean(ja), abs=1e-12)

    noisy_root = tmp_path / 'noisy_root'
    shutil.copytree(real_samples, noisy_root)
    shutil.rmtree(noisy_root / LAYOUT[1])
    shutil.copytree(gt_dir, noisy_root / LAYOUT[1])
    with pytest.raises(ISICFileError, match='mask is not binary'):
        convert_to_coco(find_official_samples(noisy_root, 'isbi2016', 'Training'),
                        tmp_path / 'noisy.json', progress=False)
