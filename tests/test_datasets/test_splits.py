"""Seeded stratified splits, and the committed split of the real-data recipe."""
import subprocess
import sys
from pathlib import Path

import pytest

from mmskin.datasets.splits import carve_calibration, stratified_split

REPO = Path(__file__).resolve().parents[2]
SPLITS = REPO / 'configs' / 'isic' / 'splits'
TOOL = REPO / 'tools' / 'misc' / 'make_split.py'


@pytest.fixture(scope='module')
def isic2017_labels(shared_data):
    return shared_data / 'isic2017_train' / 'labels.csv'


def _labels(num_pos: int, num_neg: int) -> dict:
    return {**{f'ISIC_{i:07d}': 1 for i in range(num_pos)},
            **{f'ISIC_{i:07d}': 0 for i in range(num_pos, num_pos + num_neg)}}


def test_split_is_stratified_disjoint_and_complete():
    labels = _labels(20, 80)
    train, val = stratified_split(labels, val_size=15, seed=0)
    assert len(val) == 15 and len(train) == 85
    assert set(train) | set(val) == set(labels) and not set(train) & set(val)
    assert sum(labels[i] for i in val) == 3  # round(15 * 20 / 100)
    assert train == sorted(train) and val == sorted(val)


def test_split_depends_on_the_seed_only():
    labels = _labels(20, 80)
    assert stratified_split(labels, 15, seed=3) == stratified_split(dict(reversed(
        list(labels.items()))), 15, seed=3)
    assert stratified_split(labels, 15, seed=3) != stratified_split(labels, 15, seed=4)


@pytest.mark.parametrize('val_size', [0, 100])
def test_bad_validation_size_is_refused(val_size):
    with pytest.raises(ValueError, match='val_size must be between 1 and 99'):
        stratified_split(_labels(20, 80), val_size, seed=0)


def test_committed_split_is_what_the_tool_writes(isic2017_labels, tmp_path):
    """configs/isic/splits/ is regenerated from labels.csv and seed 0."""
    result = subprocess.run(
        [sys.executable, str(TOOL), str(isic2017_labels), '--val-size', '300', '--seed', '0',
         '--out-prefix', str(tmp_path / 'isic2017_train')],
        capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert '1700 images, 318 melanoma' in result.stdout
    assert '300 images, 56 melanoma' in result.stdout
    for part in ('train', 'val'):
        name = f'isic2017_train_{part}.txt'
        assert (tmp_path / name).read_text() == (SPLITS / name).read_text(), name


def test_calibration_part_comes_from_the_training_part_only():
    labels = _labels(20, 80)
    train, val = stratified_split(labels, val_size=15, seed=0)
    rest, calib = carve_calibration(labels, train, fraction=0.2, seed=0)
    assert len(calib) == 17 and sum(labels[i] for i in calib) == 3  # round(17 * 17 / 85)
    assert sorted(rest + calib) == train and not set(rest) & set(calib)
    assert carve_calibration(labels, train, 0.2, seed=0) == (rest, calib)
    assert carve_calibration(labels, train, 0.2, seed=1) != (rest, calib)


@pytest.mark.parametrize('fraction', [0.0, 1.0, 0.001])
def test_bad_calibration_fraction_is_refused(fraction):
    labels = _labels(20, 80)
    with pytest.raises(ValueError, match='calibration'):
        carve_calibration(labels, sorted(labels), fraction, seed=0)


def test_calibration_option_keeps_the_validation_part(isic2017_labels, tmp_path):
    """With --calib-fraction the committed validation part is unchanged and
    the training part splits into the images trained on and calibration;
    the committed files themselves are those of the command in the docs."""
    result = subprocess.run(
        [sys.executable, str(TOOL), str(isic2017_labels), '--val-size', '300', '--seed', '0',
         '--calib-fraction', '0.15', '--out-prefix', str(tmp_path / 'isic2017_train_calib15')],
        capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert '1445 images, 270 melanoma' in result.stdout
    assert '255 images, 48 melanoma' in result.stdout

    def ids(path):
        return path.read_text().split()

    assert ids(tmp_path / 'isic2017_train_calib15_val.txt') == ids(SPLITS /
                                                                   'isic2017_train_val.txt')
    assert sorted(ids(tmp_path / 'isic2017_train_calib15_train.txt') + ids(
        tmp_path / 'isic2017_train_calib15_calib.txt')) == ids(SPLITS / 'isic2017_train_train.txt')
    for part in ('train', 'val', 'calib'):
        name = f'isic2017_train_calib15_{part}.txt'
        assert (tmp_path / name).read_text() == (SPLITS / name).read_text(), name
