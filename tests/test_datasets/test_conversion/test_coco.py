"""Tests for the ISIC -> COCO converter."""
import csv
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmskin.datasets.conversion import (OFFICIAL_LAYOUTS, convert_to_coco, find_archive_samples,
                                        find_official_samples)
from mmskin.utils import ISICFileError, mask_to_annotation, tight_box
from mmskin.datasets.synthetic import generate_isic_layout

REPO = Path(__file__).resolve().parents[3]
ISBI = OFFICIAL_LAYOUTS['isbi2016']
IMAGES = ISBI.image_dir.format(split='Training')
MASKS = ISBI.mask_dir.format(split='Training')
LABELS = ISBI.label_csv.format(split='Training')
NUM_IMAGES = 6


@pytest.fixture(scope='module')
def isic_samples(shared_data):
    return shared_data / 'isic_samples'


@pytest.fixture(scope='module')
def isbi_template(tmp_path_factory) -> Path:
    """A small ISBI 2016 training split: ISIC_0000000..5, 2 malignant."""
    root = tmp_path_factory.mktemp('isbi2016')
    generate_isic_layout(root, 'isbi2016', num_train=NUM_IMAGES, num_test=0, scale=0.04,
                         malignant_fraction=0.3)
    return root


@pytest.fixture
def isbi(isbi_template, tmp_path) -> Path:
    """A private copy of the template that a test may damage."""
    root = tmp_path / 'data'
    shutil.copytree(isbi_template, root)
    return root


def _convert(root: Path, out: Path, **kwargs):
    return convert_to_coco(find_official_samples(root, 'isbi2016', 'Training'), out,
                           progress=False, **kwargs)


def _check_coco(out: Path, root: Path, labels: dict) -> dict:
    """Check the data contract on every image; return the loaded JSON."""
    coco = json.loads(out.read_text())
    assert coco['categories'] == [dict(id=1, name='benign'), dict(id=2, name='malignant')]
    assert len(coco['images']) == len(coco['annotations']) == len(labels)
    for image, ann in zip(coco['images'], coco['annotations']):
        assert ann['image_id'] == image['id'] and ann['iscrowd'] == 0
        assert ann['category_id'] == labels[image['isic_id']] + 1
        with Image.open(root / image['file_name']) as pil_image:
            assert pil_image.size == (image['width'], image['height'])
        mask = mask_utils.decode(ann['segmentation'])
        assert mask.shape == (image['height'], image['width'])
        x0, y0, x1, y1 = tight_box(mask)
        assert ann['bbox'] == [x0, y0, x1 - x0, y1 - y0]
        assert ann['area'] == mask.sum() > 0
    return coco


def test_real_isbi2016_samples(isic_samples, tmp_path):
    root = isic_samples
    if not root.is_dir():
        # Without the real files, an ISBI 2016 layout with the same counts.
        root = tmp_path / 'generated'
        generate_isic_layout(root, 'isbi2016', num_train=40, num_test=0, scale=0.04,
                             malignant_fraction=0.2)
    with open(root / LABELS) as f:
        labels = {isic_id: ('benign', 'malignant').index(label) for isic_id, label in csv.reader(f)}
    summary = _convert(root, tmp_path / 'train.json')
    assert (summary.num_benign, summary.num_malignant) == (32, 8)
    assert not summary.dropped and not summary.skipped
    coco = _check_coco(tmp_path / 'train.json', root, labels)
    first = coco['images'][0]
    assert first['file_name'] == f'{IMAGES}/{first["isic_id"]}.jpg'
    mask = np.asarray(Image.open(root / MASKS / f'{first["isic_id"]}_Segmentation.png')) > 128
    assert np.array_equal(mask_utils.decode(coco['annotations'][0]['segmentation']), mask)


def test_isic2017_layout_ignores_superpixels(tmp_path):
    written = generate_isic_layout(tmp_path, 'isic2017', num_train=2, num_val=4, num_test=0,
                                   scale=0.04, malignant_fraction=0.5)
    collection = find_official_samples(tmp_path, 'isic2017', 'Validation')
    summary = convert_to_coco(collection, tmp_path / 'val.json', progress=False)
    assert (summary.num_benign, summary.num_malignant) == (2, 2)
    coco = _check_coco(tmp_path / 'val.json', tmp_path, written['Validation'])
    assert [image['isic_id'] for image in coco['images']] == [
        'ISIC_0000002', 'ISIC_0000003', 'ISIC_0000004', 'ISIC_0000005']
    assert all(image['file_name'].endswith('.jpg') for image in coco['images'])


def test_isic2017_csv_without_melanoma_column(tmp_path):
    generate_isic_layout(tmp_path, 'isic2017', num_train=2, num_test=0, scale=0.04)
    (tmp_path / 'ISIC-2017_Training_Part3_GroundTruth.csv').write_text(
        'image_id,nevus\nISIC_0000000,1.0\n')
    with pytest.raises(ISICFileError, match="no column 'melanoma'") as info:
        find_official_samples(tmp_path, 'isic2017', 'Training')
    assert info.value.path.name == 'ISIC-2017_Training_Part3_GroundTruth.csv'


def test_polygons(tmp_path):
    # Lesions of realistic pixel size: tracing loses about half a pixel of border.
    generate_isic_layout(tmp_path, 'isbi2016', num_train=3, num_test=0)
    _convert(tmp_path, tmp_path / 'poly.json', polygon=True)
    coco = json.loads((tmp_path / 'poly.json').read_text())
    for image, ann in zip(coco['images'], coco['annotations']):
        mask = np.asarray(Image.open(tmp_path / MASKS / f'{image["isic_id"]}_Segmentation.png'))
        mask = mask > 128
        assert isinstance(ann['segmentation'], list)
        rles = mask_utils.frPyObjects(ann['segmentation'], image['height'], image['width'])
        drawn = mask_utils.decode(mask_utils.merge(rles)).astype(bool)
        assert (drawn & mask).sum() / (drawn | mask).sum() > 0.95
        x0, y0, x1, y1 = tight_box(mask)
        assert ann['bbox'] == [x0, y0, x1 - x0, y1 - y0] and ann['area'] == mask.sum()


def test_mask_to_annotation_box_is_pixel_edges():
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:8] = True
    ann = mask_to_annotation(mask)
    assert ann['bbox'] == [3.0, 2.0, 5.0, 3.0] and ann['area'] == 15
    assert isinstance(ann['segmentation']['counts'], str)
    with pytest.raises(ValueError, match='polygon'):
        mask_to_annotation(np.pad(np.ones((1, 1), bool), 3), polygon=True)


def _write_mask(root: Path, values: np.ndarray, isic_id='ISIC_0000001') -> None:
    Image.fromarray(values).save(root / MASKS / f'{isic_id}_Segmentation.png')


def _mask_shape(root: Path, isic_id='ISIC_0000001'):
    return np.asarray(Image.open(root / MASKS / f'{isic_id}_Segmentation.png')).shape


def _grey(root: Path, isic_id='ISIC_0000001') -> np.ndarray:
    return np.asarray(Image.open(root / MASKS / f'{isic_id}_Segmentation.png'))


def _rewrite_csv(root: Path, edit) -> None:
    path = root / LABELS
    path.write_text(edit(path.read_text()))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


# (damage done to a copy of the template, file the message names, words in it)
PER_IMAGE_PROBLEMS = {
    'row_without_image': (lambda r: (r / IMAGES / 'ISIC_0000001.jpg').unlink(),
                          LABELS, 'has no image'),
    'image_without_mask': (lambda r: (r / MASKS / 'ISIC_0000001_Segmentation.png').unlink(),
                           'ISIC_0000001.jpg', 'no mask'),
    'image_without_row': (lambda r: _rewrite_csv(r, lambda t: ''.join(
        line for line in t.splitlines(True) if not line.startswith('ISIC_0000001,'))),
                          'ISIC_0000001.jpg', 'no row'),
    'corrupt_jpeg': (lambda r: (r / IMAGES / 'ISIC_0000001.jpg').write_bytes(b'\xff\xd8garbage'),
                     'ISIC_0000001.jpg', 'not an image file'),
    'truncated_jpeg': (lambda r: _truncate(r / IMAGES / 'ISIC_0000001.jpg'),
                       'ISIC_0000001.jpg', 'truncated'),
    'mask_wrong_size': (lambda r: _write_mask(r, np.full((10, 10), 255, np.uint8)),
                        'ISIC_0000001_Segmentation.png', 'but its image is'),
    'mask_not_binary': (lambda r: _write_mask(r, (np.arange(np.prod(_mask_shape(r))) % 256)
                                              .astype(np.uint8).reshape(_mask_shape(r))),
                        'ISIC_0000001_Segmentation.png', 'not binary'),
    'mask_empty': (lambda r: _write_mask(r, np.zeros(_mask_shape(r), np.uint8)),
                   'ISIC_0000001_Segmentation.png', 'empty'),
    'mask_0_1': (lambda r: _write_mask(r, (np.asarray(Image.open(
        r / MASKS / 'ISIC_0000001_Segmentation.png')) // 255).astype(np.uint8)),
                 'ISIC_0000001_Segmentation.png', '0/1 mask'),
    'mask_colour': (lambda r: _write_mask(r, np.dstack([_grey(r), _grey(r), 255 - _grey(r)])),
                    'ISIC_0000001_Segmentation.png', 'colour PNG image whose channels differ'),
    'duplicate_id': (lambda r: _rewrite_csv(r, lambda t: t + 'ISIC_0000001,benign\n'),
                     LABELS, 'image ISIC_0000001 appears twice'),
    'unknown_label': (lambda r: _rewrite_csv(r, lambda t: t.replace(
        'ISIC_0000001,benign', 'ISIC_0000001,naevus').replace(
            'ISIC_0000001,malignant', 'ISIC_0000001,naevus')), LABELS, 'naevus'),
}


@pytest.mark.parametrize('case', list(PER_IMAGE_PROBLEMS))
def test_per_image_problem(isbi, tmp_path, case):
    damage, named_file, words = PER_IMAGE_PROBLEMS[case]
    damage(isbi)
    out = tmp_path / 'out.json'
    with pytest.raises(ISICFileError) as info:
        _convert(isbi, out)
    message = str(info.value)
    assert named_file in message and words in message and '\n' not in message
    assert not out.exists()
    summary = _convert(isbi, out, skip_bad=True)
    assert [named_file in str(problem) for problem in summary.skipped] == [True]
    assert summary.num_images == NUM_IMAGES - 1
    assert 'ISIC_0000001' not in out.read_text()


def test_skipped_images_are_logged(isbi, tmp_path, caplog):
    (isbi / MASKS / 'ISIC_0000002_Segmentation.png').unlink()
    summary = _convert(isbi, tmp_path / 'out.json', skip_bad=True)
    assert 'skipped' in caplog.text and 'ISIC_0000002.jpg' in caplog.text
    assert summary.num_images == NUM_IMAGES - 1
    assert str(summary) == (f'{tmp_path / "out.json"}: {NUM_IMAGES - 1} images '
                            f'({summary.num_benign} benign, {summary.num_malignant} malignant, '
                            '0 unlabelled); '
                            'dropped 0 (indeterminate); skipped 1 (bad)')


@pytest.mark.parametrize('mode', ['L', 'RGBA', 'I;16'])
def test_unusual_image_modes_are_accepted(isbi, tmp_path, mode):
    """Greyscale, RGBA and 16-bit images convert (the pipeline reads them as colour)."""
    path = isbi / IMAGES / 'ISIC_0000001.jpg'
    image = Image.open(path)
    converted = image.convert('L').convert(mode) if mode == 'I;16' else image.convert(mode)
    path.unlink()
    converted.save(path.with_suffix('.png'))
    _convert(isbi, tmp_path / 'out.json')
    coco = json.loads((tmp_path / 'out.json').read_text())
    entry = next(i for i in coco['images'] if i['isic_id'] == 'ISIC_0000001')
    assert entry['file_name'].endswith('ISIC_0000001.png')
    assert (entry['width'], entry['height']) == image.size


@pytest.mark.parametrize('damage,named', [
    (lambda r: shutil.rmtree(r / MASKS), MASKS),
    (lambda r: [p.unlink() for p in (r / IMAGES).iterdir()], IMAGES),
    (lambda r: (r / LABELS).write_text('\n'), LABELS),
], ids=['missing_folder', 'empty_folder', 'empty_csv'])
def test_fatal_problems_ignore_skip_bad(isbi, tmp_path, damage, named):
    damage(isbi)
    with pytest.raises(ISICFileError) as info:
        _convert(isbi, tmp_path / 'out.json', skip_bad=True)
    assert str(info.value).startswith(str(isbi / named))


def test_all_images_skipped_is_an_error(isbi, tmp_path):
    for path in (isbi / MASKS).iterdir():
        _write_mask(isbi, np.zeros(_mask_shape(isbi, path.name[:12]), np.uint8), path.name[:12])
    with pytest.raises(ISICFileError, match='no usable image'):
        _convert(isbi, tmp_path / 'out.json', skip_bad=True)
    assert not (tmp_path / 'out.json').exists()


def test_output_is_atomic(isbi, tmp_path):
    out = tmp_path / 'annotations' / 'out.json'
    out.parent.mkdir()
    out.write_text('previous')
    (isbi / IMAGES / 'ISIC_0000004.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ISICFileError):
        _convert(isbi, out)
    assert out.read_text() == 'previous'

    summary = _convert(isbi, out, skip_bad=True)
    assert summary.num_images == NUM_IMAGES - 1
    assert json.loads(out.read_text())['images']


def test_parallel_matches_serial(isbi, tmp_path):
    _convert(isbi, tmp_path / 'serial.json')
    _convert(isbi, tmp_path / 'parallel.json', nproc=2)
    assert (tmp_path / 'serial.json').read_bytes() == (tmp_path / 'parallel.json').read_bytes()


def test_error_pickles():
    error = pickle.loads(pickle.dumps(ISICFileError('a/b.png', 'mask is empty')))
    assert str(error) == 'a/b.png: mask is empty' and error.path == Path('a/b.png')


def _archive(isbi: Path, id_column: str, labels: dict) -> Path:
    """Rearrange the template as an ISIC archive export with mixed mask names."""
    (isbi / 'images').mkdir()
    (isbi / 'masks').mkdir()
    mask_names = ['{}_segmentation.png', '{}_Segmentation.png', '{}.png']
    for index, isic_id in enumerate(labels):
        (isbi / IMAGES / f'{isic_id}.jpg').rename(isbi / 'images' / f'{isic_id}.jpg')
        (isbi / MASKS / f'{isic_id}_Segmentation.png').rename(
            isbi / 'masks' / mask_names[index % 3].format(isic_id))
    rows = [f'{id_column},age_approx,benign_malignant']
    rows += [f'{isic_id},50,{label}' for isic_id, label in labels.items()]
    (isbi / 'metadata.csv').write_text('\n'.join(rows) + '\n')
    return isbi


@pytest.mark.parametrize('id_column', ['isic_id', 'image_id', 'name'])
def test_archive_export(isbi, tmp_path, id_column):
    labels = {'ISIC_0000000': 'benign', 'ISIC_0000001': 'malignant',
              'ISIC_0000002': 'indeterminate', 'ISIC_0000003': 'indeterminate/malignant',
              'ISIC_0000004': '', 'ISIC_0000005': 'Benign'}
    root = _archive(isbi, id_column, labels)
    collection = find_archive_samples(root, 'images', 'masks', 'metadata.csv')
    summary = convert_to_coco(collection, tmp_path / 'archive.json', progress=False)
    assert summary.dropped == ['ISIC_0000002', 'ISIC_0000003', 'ISIC_0000004']
    assert (summary.num_benign, summary.num_malignant) == (2, 1)
    coco = _check_coco(tmp_path / 'archive.json', root,
                       {'ISIC_0000000': 0, 'ISIC_0000001': 1, 'ISIC_0000005': 0})
    assert coco['images'][0]['file_name'] == 'images/ISIC_0000000.jpg'


def test_archive_bad_metadata(isbi, tmp_path):
    labels = {f'ISIC_000000{i}': 'benign' for i in range(NUM_IMAGES)}
    root = _archive(isbi, 'isic_id', labels)
    csv_path = root / 'metadata.csv'
    csv_path.write_text(csv_path.read_text().replace('ISIC_0000003,50,benign', 'ISIC_0000003,50,'
                                                     'atypical'))
    collection = find_archive_samples(root, 'images', 'masks', 'metadata.csv')
    assert [str(p) for p in collection.problems] == [
        f"{csv_path}: line 5: unknown benign_malignant value 'atypical' for ISIC_0000003; "
        'expected benign, malignant or indeterminate']
    csv_path.write_text('isic_id,diagnosis\nISIC_0000000,nevus\n')
    with pytest.raises(ISICFileError, match="no column 'benign_malignant'"):
        find_archive_samples(root, 'images', 'masks', 'metadata.csv')
    csv_path.write_text('file,benign_malignant\nISIC_0000000,benign\n')
    with pytest.raises(ISICFileError, match="no column 'isic_id'"):
        find_archive_samples(root, 'images', 'masks', 'metadata.csv')


def test_isbi2016_test_split_labels(tmp_path):
    written = generate_isic_layout(tmp_path, 'isbi2016', num_train=0, num_test=4, scale=0.04,
                                   malignant_fraction=0.5)
    csv_text = (tmp_path / 'ISBI2016_ISIC_Part3_Test_GroundTruth.csv').read_text()
    assert '1.0' in csv_text and 'malignant' not in csv_text
    collection = find_official_samples(tmp_path, 'isbi2016', 'Test')
    assert {s.isic_id: s.label for s in collection.samples} == written['Test']
