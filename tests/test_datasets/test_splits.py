"""Seeded stratified splits, and the committed split of the real-data recipe."""
import subprocess
import sys
from pathlib import Path

import pytest

from mmskin.datasets.splits import stratified_split

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
