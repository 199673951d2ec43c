"""ISICDataset with the base config's train and test pipelines on a tiny COCO
file of odd image formats."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pycocotools import mask as mask_utils
from sklearn.metrics import roc_auc_score

import mmskin  # noqa: F401  registers ISICDataset and the transforms
from mmskin.utils import (ISIC_CLASSES, UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL, ISICFileError,
                          tight_box)

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/_base_/datasets/isic_instance.py'

# (file name, height, width, category id or None for a photo without lesion, writer)
IMAGES = [
    ('rgb.jpg', 90, 150, 1, lambda img: img),
    ('gray.png', 120, 80, 2, lambda img: img[..., 0]),
    ('gray16.png', 70, 110, 1, lambda img: img[..., 0].astype(np.uint16) * 257),
    ('rgba.png', 60, 90, 2, lambda img: np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])),
    ('no_lesion.jpg', 50, 50, None, lambda img: img),
]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> Path:
    """An ISIC-like data root with annotations/tiny.json (COCO instances,
    RLE masks, one lesion per image); the last photo, without lesion, is on
    disk but not in the file."""
    root = tmp_path_factory.mktemp('isic')
    (root / 'images').mkdir()
    rng = np.random.default_rng(0)
    images, anns = [], []
    for index, (name, h, w, category, write) in enumerate(IMAGES, start=1):
        img = rng.integers(150, 220, (h, w, 3), dtype=np.uint8)
        mask = np.zeros((h, w), np.uint8)
        if category is not None:
            cv2.ellipse(mask, (w // 2, h // 2), (w // 4, h // 5), 30, 0, 360, 255, -1)
            img[mask > 0] = (40, 60, 90)
        cv2.imwrite(str(root / 'images' / name), write(img))
        if category is None:
            continue
        images.append(dict(id=index, file_name=f'images/{name}', width=w, height=h,
                           isic_id=f'ISIC_{index:07d}'))
        rle = mask_utils.encode(np.asfortranarray(mask > 0))
        rle['counts'] = rle['counts'].decode()
        x0, y0, x1, y1 = tight_box(mask).tolist()
        anns.append(dict(id=index, image_id=index, category_id=category,
                         bbox=[x0, y0, x1 - x0, y1 - y0], area=int((mask > 0).sum()),
                         segmentation=rle, iscrowd=0))
    coco = dict(images=images, annotations=anns,
                categories=[dict(id=i + 1, name=n) for i, n in enumerate(ISIC_CLASSES)])
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'tiny.json').write_text(json.dumps(coco))
    return root


def _dataset(data_root: Path, split: str, **options):
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(CONFIG))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    dataset_cfg.update(data_root=str(data_root), ann_file='annotations/tiny.json', **options)
    return DATASETS.build(dataset_cfg)


def test_train_pipeline_gives_square_inputs_with_box_of_mask(data_root):
    dataset = _dataset(data_root, 'train')
    assert dataset.metainfo['classes'] == ISIC_CLASSES
    assert len(dataset) == len(IMAGES) - 1
    expected_labels = [category - 1 for *_, category, _ in IMAGES[:-1]]
    np.random.seed(0)
    for _ in range(2):  # two draws of the augmentation per image
        for index, label in enumerate(expected_labels):
            sample = dataset[index]
            inputs, instances = sample['inputs'], sample['data_samples'].gt_instances
            assert tuple(inputs.shape) == (3, 1024, 1024)
            assert str(inputs.dtype) == 'torch.uint8'
            masks = instances.masks.to_ndarray()
            assert masks.shape == (1, 1024, 1024)
            assert set(np.unique(masks)) == {0, 1}
            np.testing.assert_array_equal(instances.bboxes.numpy()[0], tight_box(masks[0]))
            assert instances.labels.tolist() == [label]


def test_test_pipeline_keeps_ground_truth_at_original_size(data_root):
    dataset = _dataset(data_root, 'test')
    assert len(dataset) == len(IMAGES) - 1
    for index, (name, h, w, category, _) in enumerate(IMAGES[:-1]):
        sample = dataset[index]
        data_sample = sample['data_samples']
        assert tuple(sample['inputs'].shape) == (3, 1024, 1024)
        assert data_sample.img_id == index + 1
        assert data_sample.img_path.endswith(name)
        assert data_sample.ori_shape == (h, w)
        np.testing.assert_allclose(data_sample.scale_factor, [1024 / max(h, w)] * 2, rtol=1e-2)
        masks = data_sample.gt_instances.masks.to_ndarray()
        assert masks.shape == (1, h, w)
        np.testing.assert_array_equal(
            data_sample.gt_instances.bboxes.numpy()[0], tight_box(masks[0]))
        assert data_sample.gt_instances.labels.tolist() == [category - 1]


@pytest.fixture(scope='module')
def unknown_root(data_root, tmp_path_factory) -> Path:
    """The tiny set with the diagnosis of its gray.png lesion unknown."""
    root = tmp_path_factory.mktemp('unknown')
    (root / 'images').symlink_to(data_root / 'images')
    coco = json.loads((data_root / 'annotations' / 'tiny.json').read_text())
    coco['annotations'][1]['category_id'] = UNKNOWN_CATEGORY_ID
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'tiny.json').write_text(json.dumps(coco))
    return root


def test_unknown_labels_are_kept_for_testing(unknown_root):
    dataset = _dataset(unknown_root, 'test')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    labels = {Path(d['img_path']).name: [i['bbox_label'] for i in d['instances']]
              for d in infos}
    assert labels['gray.png'] == [UNKNOWN_LABEL] and labels['rgb.jpg'] == [0]
    sample = dataset[1]['data_samples']
    assert sample.gt_instances.labels.tolist() == [UNKNOWN_LABEL]
    assert sample.gt_instances.masks.to_ndarray().any()  # scored for segmentation


def test_training_on_unknown_labels_is_an_error_unless_class_agnostic(unknown_root):
    with pytest.raises(ISICFileError, match=r'tiny.json: 1 training images have no benign / '
                       r'malignant label \(e.g. .*gray.png\)'):
        _dataset(unknown_root, 'train')
    init_default_scope('mmdet')
    seg = Config.fromfile(str(REPO / 'configs/isic/mask_rcnn_r101_fpn_focaljac_seg.py'))
    dataset_cfg = seg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(unknown_root), ann_file='annotations/tiny.json')
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 4  # the unknown lesion is a training lesion
    index = next(i for i in range(len(dataset))
                 if dataset.get_data_info(i)['img_path'].endswith('gray.png'))
    assert dataset[index]['data_samples'].gt_instances.labels.tolist() == [0]


# --- checks of the files -------------------------------------------------------


def _copy(data_root: Path, tmp_path: Path) -> Path:
    import shutil
    root = tmp_path / 'root'
    shutil.copytree(data_root, root)
    return root


@pytest.mark.parametrize('damage, problem', [
    (lambda ann: ann.unlink(), 'annotation file not found'),
    (lambda ann: ann.write_bytes(b''), 'annotation file is empty'),
    (lambda ann: ann.write_text('{"images": ['), 'annotation file is not valid JSON'),
    (lambda ann: ann.write_text('{"images": []}'), 'not a COCO instance file: no annotations'),
    (lambda ann: ann.write_text('{"images": [], "annotations": [], "categories": []}'),
     'annotation file lists no image'),
])
def test_a_bad_annotation_file_is_named(data_root, tmp_path, damage, problem):
    root = _copy(data_root, tmp_path)
    ann = root / 'annotations' / 'tiny.json'
    damage(ann)
    with pytest.raises(ISICFileError, match=f'{ann}: {problem}'):
        _dataset(root, 'train')


@pytest.mark.parametrize('split', ['train', 'test'])
def test_every_image_is_checked_when_the_dataset_is_built(data_root, tmp_path, split):
    root = _copy(data_root, tmp_path)
    (root / 'images' / 'gray.png').unlink()
    with pytest.raises(ISICFileError, match=f'{root}/images/gray.png: image not found .*'
                       'check data_root and data_prefix'):
        _dataset(root, split)
    truncated = root / 'images' / 'rgb.jpg'
    truncated.write_bytes(truncated.read_bytes()[:300])
    cv2.imwrite(str(root / 'images' / 'gray.png'), np.zeros((120, 80), np.uint8))
    with pytest.raises(ISICFileError, match=f'{truncated}: corrupt or truncated image'):
        _dataset(root, split)


def test_an_image_replaced_after_conversion_is_named_with_both_sizes(data_root, tmp_path):
    root = _copy(data_root, tmp_path)
    cv2.imwrite(str(root / 'images' / 'rgb.jpg'), np.zeros((100, 150, 3), np.uint8))
    with pytest.raises(ISICFileError, match=r'rgb.jpg: image is 150x100 \(WxH\) but .*tiny.json '
                       'says 150x90: it was replaced or resized after conversion'):
        _dataset(root, 'test')


def test_an_image_replaced_while_training_is_named(data_root, tmp_path):
    """Checked again when it is read: the dataset was built before the change."""
    root = _copy(data_root, tmp_path)
    dataset = _dataset(root, 'train')
    cv2.imwrite(str(root / 'images' / 'rgb.jpg'), np.zeros((100, 150, 3), np.uint8))
    with pytest.raises(ISICFileError, match=r'rgb.jpg: image is 150x100 \(WxH\) but'):
        dataset[0]
    (root / 'images' / 'rgb.jpg').write_bytes(b'')
    with pytest.raises(ISICFileError, match='rgb.jpg: cannot be decoded: the file is empty'):
        dataset[0]


def test_bad_images_can_be_skipped_and_counted_in_training(data_root, tmp_path):
    root = _copy(data_root, tmp_path)
    (root / 'images' / 'gray.png').write_bytes(b'')
    dataset = _dataset(root, 'train', skip_bad_images=True)
    assert dataset.num_skipped == 1
    assert len(dataset) == len(IMAGES) - 2
    (root / 'images' / 'rgb.jpg').write_bytes(b'')  # broken after the dataset was built
    np.random.seed(0)
    assert dataset[0]['data_samples'].img_path != str(root / 'images' / 'rgb.jpg')
    assert dataset.num_skipped >= 2  # another image is drawn, possibly rgb.jpg again
    with pytest.raises(ISICFileError):  # never at test time: every image is scored
        _dataset(root, 'test', skip_bad_images=True)


# --- categories by name; inconsistent COCO files ---------------------------------


def _edit(data_root: Path, tmp_path: Path, edit) -> Path:
    root = tmp_path / 'edited'
    (root / 'annotations').mkdir(parents=True)
    (root / 'images').symlink_to(data_root / 'images')
    coco = json.loads((data_root / 'annotations' / 'tiny.json').read_text())
    edit(coco)
    (root / 'annotations' / 'tiny.json').write_text(json.dumps(coco))
    return root


def _malignant_first(coco: dict) -> None:
    swap = {1: 2, 2: 1}
    coco['categories'] = [dict(id=1, name='malignant'), dict(id=2, name='benign')]
    for ann in coco['annotations']:
        ann['category_id'] = swap[ann['category_id']]


def _labels(dataset) -> dict:
    return {Path(dataset.get_data_info(i)['img_path']).name:
            [ins['bbox_label'] for ins in dataset.get_data_info(i)['instances']]
            for i in range(len(dataset))}


@pytest.mark.parametrize('split', ('train', 'test'))
def test_categories_are_classes_by_name_not_position(data_root, tmp_path, split):
    """A file listing malignant first (ids swapped with it) gives the same
    labels, so the same AUC, in training and test data."""
    normal = _labels(_dataset(data_root, split))
    swapped = _dataset(_edit(data_root, tmp_path, _malignant_first), split)
    assert _labels(swapped) == normal
    assert normal == {name: [category - 1] for name, _, _, category, _ in IMAGES[:-1]}
    labels = np.array([v[0] for v in _labels(swapped).values()])
    scores = np.linspace(0.1, 0.9, labels.size)
    assert roc_auc_score(labels, scores) == roc_auc_score(
        np.array([v[0] for v in normal.values()]), scores)
    if split == 'test':
        assert swapped[0]['data_samples'].gt_instances.labels.tolist() == normal['rgb.jpg']


def _first(coco: dict) -> dict:
    return coco['annotations'][0]


@pytest.mark.parametrize('edit, problem', [
    (lambda coco: _first(coco).update(category_id=7),
     r'annotation 1: category_id 7 is not a category of the file \(1 benign, 2 malignant; 0: '
     r'unknown diagnosis\)'),
    (lambda coco: coco['categories'][1].update(name='melanoma'),
     r"category 2 'melanoma' is not one of the classes benign, malignant"),
    (lambda coco: coco['categories'].append(dict(id=3, name='benign')),
     r"categories 1 and 3 are both 'benign'"),
    (lambda coco: _first(coco).update(image_id=99),
     r'annotation 1: image_id 99 is not an image of the file'),
    (lambda coco: coco['annotations'].append(dict(_first(coco), id=99, category_id=2)),
     r'image 1 \(images/rgb.jpg\) has annotations of different labels \(annotation 1: '
     r'category 1, annotation 99: category 2\)'),
    (lambda coco: coco['annotations'].pop(0),
     r'image 1 \(images/rgb.jpg\) has no lesion annotation'),
    (lambda coco: coco['annotations'].append(dict(_first(coco), image_id=2)),
     r'annotation id 1 is used twice'),
    (lambda coco: coco['images'][0].update(width=0), r'image 1 \(images/rgb.jpg\): width 0'),
    (lambda coco: _first(coco).update(bbox=[0, 0, 0, 0]),
     r'image 1 \(.*rgb.jpg\): its lesion annotation has an empty box'),
])
@pytest.mark.parametrize('split', ('train', 'test'))
def test_an_inconsistent_coco_file_is_refused_naming_the_entry(data_root, tmp_path, split, edit,
                                                               problem):
    root = _edit(data_root, tmp_path, edit)
    with pytest.raises(ISICFileError, match=f'{root / "annotations" / "tiny.json"}: {problem}'):
        _dataset(root, split)
