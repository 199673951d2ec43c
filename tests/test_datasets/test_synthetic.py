"""Tests for the synthetic ISIC layout generator."""
import runpy
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmskin.datasets.conversion import OFFICIAL_LAYOUTS, convert_to_coco, find_official_samples
from mmskin.datasets.synthetic import NATIVE_SIZES, generate_isic_layout
from mmskin.datasets.synthetic_render import render_dermoscopy, superpixel_map

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'misc' / 'generate_synthetic_isic.py'
SMALL = dict(num_train=6, num_val=3, num_test=3, scale=0.04)


def _files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob('*') if p.is_file()}


def _solidity(mask: np.ndarray) -> float:
    """Lesion area over the area of its convex hull (1 for convex shapes)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    return cv2.contourArea(contour) / cv2.contourArea(cv2.convexHull(contour))


def test_same_seed_gives_identical_files(tmp_path):
    generate_isic_layout(tmp_path / 'a', 'isic2017', seed=3, **SMALL)
    generate_isic_layout(tmp_path / 'b', 'isic2017', seed=3, **SMALL)
    generate_isic_layout(tmp_path / 'c', 'isic2017', seed=4, **SMALL)
    first, second, other = (_files(tmp_path / name) for name in 'abc')
    # 12 images, 12 masks, 12 superpixel maps, 3 CSVs.
    assert len(first) == 39
    assert first == second
    assert first.keys() == other.keys()
    assert first != other


@pytest.mark.parametrize('layout', ['isbi2016', 'isic2017'])
def test_layout_is_read_by_the_converter(tmp_path, layout):
    counts = dict(num_train=6, num_val=3 if layout == 'isic2017' else 0, num_test=3)
    written = generate_isic_layout(tmp_path, layout, scale=0.04, **counts)
    spec = OFFICIAL_LAYOUTS[layout]
    assert list(written) == list(spec.splits)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        name.format(split=split) for split in spec.splits
        for name in (spec.image_dir, spec.mask_dir, spec.label_csv))
    for split, labels in written.items():
        image_dir = tmp_path / spec.image_dir.format(split=split)
        superpixels = sorted(image_dir.glob('*_superpixels.png'))
        assert len(superpixels) == (len(labels) if layout == 'isic2017' else 0)
        collection = find_official_samples(tmp_path, layout, split)
        assert not collection.problems
        assert {s.isic_id: s.label for s in collection.samples} == labels
        summary = convert_to_coco(collection, tmp_path / f'{split}.json', progress=False)
        assert (summary.num_malignant, summary.num_images) == (sum(labels.values()), len(labels))


def test_official_csv_formats(tmp_path):
    generate_isic_layout(tmp_path / '2016', 'isbi2016', num_train=3, num_test=3,
                         malignant_fraction=0.5, scale=0.04)
    generate_isic_layout(tmp_path / '2017', 'isic2017', num_train=2, num_val=0, num_test=0,
                         malignant_fraction=0.5, scale=0.04)
    train = (tmp_path / '2016' / 'ISBI2016_ISIC_Part3_Training_GroundTruth.csv').read_text()
    test = (tmp_path / '2016' / 'ISBI2016_ISIC_Part3_Test_GroundTruth.csv').read_text()
    isic2017 = (tmp_path / '2017' / 'ISIC-2017_Training_Part3_GroundTruth.csv').read_text()
    assert {line.split(',')[1] for line in train.splitlines()} == {'benign', 'malignant'}
    assert {line.split(',')[1] for line in test.splitlines()} == {'0.0', '1.0'}
    assert test.splitlines()[0].startswith('ISIC_0000003,')
    header, *rows = isic2017.splitlines()
    assert header == 'image_id,melanoma,seborrheic_keratosis'
    assert [row.split(',')[0] for row in rows] == ['ISIC_0000000', 'ISIC_0000001']
    assert sorted(row.split(',', 1)[1] for row in rows) == ['0.0,0.0', '1.0,0.0']
    # Splits with no images are not written.
    assert not (tmp_path / '2017' / 'ISIC-2017_Validation_Data').exists()


def test_masks_are_binary_nonempty_and_image_sized(tmp_path):
    written = generate_isic_layout(tmp_path, 'isbi2016', num_train=8, num_test=0, scale=0.04)
    spec = OFFICIAL_LAYOUTS['isbi2016']
    for isic_id in written['Training']:
        image = cv2.imread(str(tmp_path / spec.image_dir.format(split='Training')
                               / f'{isic_id}.jpg'))
        mask = cv2.imread(str(tmp_path / spec.mask_dir.format(split='Training')
                              / f'{isic_id}{spec.mask_suffix}'), cv2.IMREAD_UNCHANGED)
        assert mask.ndim == 2 and mask.dtype == np.uint8
        assert mask.shape == image.shape[:2]
        assert set(np.unique(mask)) == {0, 255}


def test_sizes_follow_table_ii_scaled(tmp_path):
    written = generate_isic_layout(tmp_path, 'isbi2016', num_train=12, num_test=0)
    image_dir = tmp_path / OFFICIAL_LAYOUTS['isbi2016'].image_dir.format(split='Training')
    sizes = {cv2.imread(str(image_dir / f'{i}.jpg')).shape[1::-1] for i in written['Training']}
    native = {(round(w * 0.1), round(h * 0.1)) for (w, h), _ in NATIVE_SIZES}
    assert sizes <= native and len(sizes) > 1
    assert all(256 <= max(size) <= 384 for size in sizes)


@pytest.mark.parametrize('num_images,fraction,expected', [
    (10, 0.3, 3), (3, 0.3, 1), (2, 0.9, 1), (5, 0.0, 0), (4, 1.0, 4)])
def test_malignant_fraction(tmp_path, num_images, fraction, expected):
    written = generate_isic_layout(tmp_path, 'isbi2016', num_train=num_images, num_test=0,
                                   malignant_fraction=fraction, scale=0.04)
    assert sum(written['Training'].values()) == expected


def test_malignant_lesions_differ_measurably():
    """Malignant lesions are less convex and more varied in colour (ABC rule)."""
    stats = {False: [], True: []}
    for index in range(16):
        malignant = index % 2 == 1
        image, mask = render_dermoscopy(np.random.default_rng(index), 160, 120, malignant)
        assert mask.any()
        pixels = image[mask].astype(float)
        stats[malignant].append((_solidity(mask), pixels.std(axis=0).mean(), pixels.mean()))
    benign, malignant = np.array(stats[False]), np.array(stats[True])
    assert malignant[:, 0].max() < benign[:, 0].min()
    assert malignant[:, 1].mean() > 1.5 * benign[:, 1].mean()
    assert malignant[:, 2].mean() < benign[:, 2].mean()


def test_superpixel_map_encodes_index_in_rgb():
    superpixels = superpixel_map(200, 100).astype(np.int64)
    index = superpixels[..., 0] + 256 * superpixels[..., 1] + 65536 * superpixels[..., 2]
    assert index[0, 0] == 0
    assert np.unique(index).size == index.max() + 1 > 1


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='no validation split'):
        generate_isic_layout(tmp_path, 'isbi2016', num_val=2)
    with pytest.raises(ValueError, match='smaller than 32'):
        generate_isic_layout(tmp_path, 'isbi2016', scale=0.01)
    with pytest.raises(ValueError, match='unknown layout'):
        generate_isic_layout(tmp_path, 'isic2018')


def test_cli(tmp_path, capsys):
    main = runpy.run_path(str(TOOL))['main']
    main([str(tmp_path), '--layout', 'isic2017', '--num-train', '3', '--num-test', '2',
          '--scale', '0.04'])
    out = capsys.readouterr().out
    assert 'Validation: 20 images' in out and 'Test_v2: 2 images' in out
    assert len(list((tmp_path / 'ISIC-2017_Validation_Part1_GroundTruth').iterdir())) == 20
    with pytest.raises(SystemExit):
        main([str(tmp_path), '--layout', 'isbi2016', '--num-val', '2'])
    assert 'no validation split' in capsys.readouterr().err
