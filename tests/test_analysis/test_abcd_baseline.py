"""The ABCD baseline: fitted on one COCO file's lesions, scored on another's
beside the lesion-area baseline."""
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from sklearn.metrics import roc_auc_score

from mmskin.analysis.abcd import DERMOSCOPY_COLOURS, abcd_features
from mmskin.analysis.abcd_baseline import MODEL_FEATURES, abcd_baseline, abcd_feature_table
from mmskin.analysis.area_baseline import lesion_area_fractions

SIZE = 96


def _lesion(malignant: bool, radius: int):
    """Benign: a light-brown disc. Malignant: a ragged star, dark brown and
    blue-grey. The radius varies independently of the class."""
    image = np.full((SIZE, SIZE, 3), (170, 190, 220), np.uint8)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    if malignant:
        angles = np.arange(14) * math.pi / 7
        radii = np.where(np.arange(14) % 2 == 0, radius, radius // 2)
        points = np.stack([48 + radii * np.cos(angles), 48 + radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
        image[mask > 0] = DERMOSCOPY_COLOURS['dark brown'][::-1]
        image[(mask > 0) & (np.arange(SIZE) < 48)[None, :]] = DERMOSCOPY_COLOURS['blue-grey'][::-1]
    else:
        cv2.circle(mask, (48, 48), radius, 1, -1)
        image[mask > 0] = DERMOSCOPY_COLOURS['light brown'][::-1]
    return image, mask


def _write_split(root: Path, name: str, cases) -> Path:
    coco = dict(images=[], annotations=[],
                categories=[dict(id=1, name='benign'), dict(id=2, name='malignant')])
    for i, (malignant, radius) in enumerate(cases, start=1):
        image, mask = _lesion(malignant, radius)
        file_name = f'images/{name}_{i:03d}.png'
        (root / 'images').mkdir(exist_ok=True)
        cv2.imwrite(str(root / file_name), image)
        rle = mask_utils.encode(np.asfortranarray(mask))
        rle['counts'] = rle['counts'].decode()
        coco['images'].append(dict(id=i, file_name=file_name, width=SIZE, height=SIZE))
        coco['annotations'].append(dict(id=i, image_id=i, category_id=1 + malignant,
                                        segmentation=rle, area=float(mask.sum()), iscrowd=0,
                                        bbox=[0, 0, SIZE, SIZE]))
    path = root / f'{name}.json'
    path.write_text(json.dumps(coco))
    return path


@pytest.fixture(scope='module')
def splits(tmp_path_factory):
    root = tmp_path_factory.mktemp('abcd')
    rng = np.random.default_rng(0)
    train = [(k % 2 == 1, int(r)) for k, r in enumerate(rng.integers(16, 40, 16))]
    val = [(k % 3 == 0, int(r)) for k, r in enumerate(rng.integers(16, 40, 12))]
    return root, _write_split(root, 'train', train), _write_split(root, 'val', val), val


def test_features_are_those_of_each_ground_truth_lesion(splits):
    root, _, val, val_cases = splits
    labels, features = abcd_feature_table(val, root)
    assert labels.tolist() == [int(malignant) for malignant, _ in val_cases]
    assert features.shape == (12, len(MODEL_FEATURES)) and 'diameter_mm' not in MODEL_FEATURES
    for row, case in zip(features, val_cases):
        expected = abcd_features(*_lesion(*case))
        assert row.tolist() == [expected[name] for name in MODEL_FEATURES]
    assert features[0][MODEL_FEATURES.index('n_colours')] == 2  # the malignant ones


def test_the_model_learns_the_checklist_and_the_area_does_not(splits):
    root, train, val, _ = splits
    result = abcd_baseline(train, val, root, n_resamples=200)
    labels, fractions = lesion_area_fractions(val)
    assert result['abcd']['AUC'] == 1.0
    assert result['area']['AUC'] == pytest.approx(roc_auc_score(labels, fractions))
    assert result['area']['AUC'] < 1.0
    assert result['abcd']['AUC_lo'] <= 1.0 == result['abcd']['AUC_hi']
    assert result['delong'].difference == pytest.approx(1.0 - result['area']['AUC'])
    assert (result['n_train'], result['n_val'], result['n_val_malignant']) == (16, 12, 4)


def test_tool_prints_both_and_names_a_missing_image(splits, load_tool, tmp_path, capsys):
    root, train, val, _ = splits
    tool = load_tool('tools/analysis/abcd_baseline.py')
    tool.main([str(train), str(val), '--data-root', str(root), '--ci-resamples', '100',
               '--json'])
    out = capsys.readouterr().out
    assert 'ABCD logistic regression\n  AUC          1.0000 [' in out
    assert 'Lesion-area baseline\n  AUC          ' in out
    assert json.loads(out.splitlines()[-1])['abcd']['AUC'] == 1.0
    missing = tmp_path / 'images' / 'train_001.png'
    with pytest.raises(SystemExit, match=f'^error: {missing}: no such file$'):
        tool.main([str(train), str(val), '--data-root', str(tmp_path)])
