"""The data preparation of paper II-A: loading, resize + pad and the six
augmentation branches of the base dataset config."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

import mmskin  # noqa: F401  registers the transforms
from mmskin.utils import tight_box
from mmskin.datasets.transforms import (BoxFromMask, GaussianBlur,
                                        RandomAffineWithMasks,
                                        UniformBrightness)

CONFIG = Path(__file__).resolve().parents[2] / 'configs/_base_/datasets/isic_instance.py'
# Non-square on purpose: resizing its long side to 1024 leaves padding.
HEIGHT, WIDTH = 120, 200
LESION_BGR = (30, 30, 30)  # darker than any skin pixel of the samples


@pytest.fixture(scope='module')
def cfg():
    init_default_scope('mmdet')
    return Config.fromfile(str(CONFIG))


def _step(pipeline, name):
    return next(copy.deepcopy(t) for t in pipeline if t['type'] == name)


@pytest.fixture(scope='module')
def branches(cfg):
    """The six RandomChoice branches of the config's train pipeline."""
    return _step(cfg.train_pipeline, 'RandomChoice')['transforms']


def _loaded_sample(h: int = HEIGHT, w: int = WIDTH) -> dict:
    """What LoadImageFromFile + LoadAnnotations give for one lesion away
    from the image centre (so that flips and turns move it)."""
    rng = np.random.default_rng(0)
    img = rng.integers(60, 200, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 3, h // 3), (w // 6, h // 7), 20, 0, 360, 1, -1)
    img[mask > 0] = LESION_BGR
    return dict(
        img=img, img_shape=(h, w), ori_shape=(h, w),
        gt_bboxes=HorizontalBoxes(tight_box(mask)[None]),
        gt_bboxes_labels=np.array([1]),
        gt_ignore_flags=np.array([False]),
        gt_masks=BitmapMasks(mask[None], h, w))


@pytest.fixture(scope='module')
def prepared(cfg):
    """A sample after the config's Resize + Pad, box taken from the mask."""
    resize_pad = Compose([_step(cfg.train_pipeline, 'Resize'),
                          _step(cfg.train_pipeline, 'Pad'),
                          BoxFromMask()])
    return resize_pad(_loaded_sample())


def _mask(results: dict) -> np.ndarray:
    return results['gt_masks'].to_ndarray()[0]


def _box(results: dict) -> np.ndarray:
    return results['gt_bboxes'].numpy()[0]


def test_resize_pad_keeps_ratio_and_pads_with_zeros(prepared):
    scale = 1024 / WIDTH
    content_h = round(HEIGHT * scale)
    img = prepared['img']
    assert img.shape == (1024, 1024, 3)
    assert prepared['gt_masks'].to_ndarray().shape == (1, 1024, 1024)
    np.testing.assert_allclose(prepared['scale_factor'], (scale, scale), rtol=1e-3)
    assert img[content_h:].max() == 0  # zero padding below the content
    assert img[:content_h].min() > 0  # content untouched by the padding


@pytest.mark.parametrize('index', range(6))
def test_each_branch_keeps_mask_and_box_consistent(branches, prepared, index):
    branch = Compose(branches[index])
    np.random.seed(index)
    out = branch(copy.deepcopy(prepared))
    mask = _mask(out)
    assert out['img'].shape == (1024, 1024, 3) and out['img'].dtype == np.uint8
    assert mask.shape == (1024, 1024)
    assert set(np.unique(mask)) == {0, 1}
    np.testing.assert_array_equal(_box(out), tight_box(mask))
    assert len(out['gt_bboxes_labels']) == len(out['gt_ignore_flags']) == 1


def test_branches_do_what_the_paper_lists(branches, prepared):
    """Original, h-flip, v-flip, affine, brightness, blur (II-A-3), in order."""
    img, mask = prepared['img'], _mask(prepared)
    outs = []
    for index, branch in enumerate(branches):
        np.random.seed(index)
        outs.append(Compose(branch)(copy.deepcopy(prepared)))
    original, hflip, vflip, affine, bright, blur = outs
    np.testing.assert_array_equal(original['img'], img)
    np.testing.assert_array_equal(hflip['img'], img[:, ::-1])
    np.testing.assert_array_equal(_mask(hflip), mask[:, ::-1])
    np.testing.assert_array_equal(vflip['img'], img[::-1])
    np.testing.assert_array_equal(_mask(vflip), mask[::-1])
    # The affine moves image and mask together: the warped mask covers the
    # warped lesion pixels.
    assert not np.array_equal(_mask(affine), mask)
    assert np.median(affine['img'][_mask(affine) > 0]) == LESION_BGR[0]
    assert 0.7 < _mask(affine).sum() / mask.sum() < 1.3
    for photometric in (bright, blur):
        assert not np.array_equal(photometric['img'], img)
        np.testing.assert_array_equal(_mask(photometric), mask)


def test_random_choice_picks_branches_uniformly(cfg):
    choice = TRANSFORMS.build(_step(cfg.train_pipeline, 'RandomChoice'))
    assert len(choice.transforms) == 6
    np.random.seed(0)
    draws = 6000
    counts = np.bincount([choice.random_pipeline_index() for _ in range(draws)],
                         minlength=6)
    # Binomial sd is sqrt(6000 * 1/6 * 5/6) ~ 29 per branch: 4 sd tolerance.
    np.testing.assert_allclose(counts, draws / 6, atol=120)


def test_augmentation_follows_padding_and_box_follows_augmentation(cfg):
    types = [t['type'] for t in cfg.train_pipeline]
    assert types.index('Pad') < types.index('RandomChoice') < types.index('BoxFromMask')
    assert types[-1] == 'PackDetInputs'


def test_uniform_brightness_factor_is_continuous_in_paper_range():
    transform = UniformBrightness()
    np.random.seed(0)
    factors = np.array([transform._get_mag() for _ in range(2000)])
    assert factors.min() >= 0.8 and factors.max() <= 1.5
    assert factors.min() < 0.81 and factors.max() > 1.49
    # mmdet's Brightness rounds to one decimal: 8 values only.
    assert len(np.unique(np.round(factors, 3))) > 100
    assert abs(factors.mean() - 1.15) < 0.02


def test_uniform_brightness_multiplies_and_keeps_padding_black():
    img = np.full((4, 8, 3), 100, np.uint8)
    img[:, 6:] = 0  # padding
    transform = UniformBrightness()
    np.random.seed(1)
    for _ in range(50):
        out = transform(dict(img=img.copy()))['img']
        ratio = out[:, :6].astype(float) / 100
        assert ratio.min() >= 0.8 and ratio.max() <= 1.5
        assert len(np.unique(out[:, :6])) == 1  # one factor for the image
        assert out[:, 6:].max() == 0


def test_gaussian_blur_uses_sigma_from_range_and_leaves_masks():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    masks = BitmapMasks(np.ones((1, 32, 32), np.uint8), 32, 32)
    out = GaussianBlur(sigma_range=(2.0, 2.0))(dict(img=img.copy(), gt_masks=masks))
    np.testing.assert_array_equal(
        out['img'], cv2.GaussianBlur(img, (0, 0), sigmaX=2.0, sigmaY=2.0))
    assert out['gt_masks'] is masks
    unchanged = GaussianBlur(sigma_range=(0.0, 0.0))(dict(img=img.copy()))
    np.testing.assert_array_equal(unchanged['img'], img)


@pytest.mark.parametrize('bad', [(-1.0, 2.0), (3.0, 1.0)])
def test_gaussian_blur_rejects_bad_sigma_range(bad):
    with pytest.raises(ValueError, match='sigma_range'):
        GaussianBlur(sigma_range=bad)


def _no_op_affine(**kwargs) -> RandomAffineWithMasks:
    ranges = dict(max_rotate_degree=0.0, max_translate_ratio=0.0,
                  scaling_ratio_range=(1.0, 1.0), max_shear_degree=0.0)
    ranges.update(kwargs)
    return RandomAffineWithMasks(**ranges)


def test_affine_with_zero_ranges_is_identity(prepared):
    out = _no_op_affine()(copy.deepcopy(prepared))
    np.testing.assert_array_equal(out['img'], prepared['img'])
    np.testing.assert_array_equal(_mask(out), _mask(prepared))
    np.testing.assert_array_equal(_box(out), _box(prepared))


def test_affine_rotates_about_the_image_centre():
    """mmdet's RandomAffine turns about the top-left corner; ours must not."""
    size = 65
    mask = np.zeros((size, size), np.uint8)
    mask[30:35, 30:35] = 1  # a blob on the central pixel (32, 32)
    results = dict(img=np.full((size, size, 3), 200, np.uint8),
                   img_shape=(size, size), gt_masks=BitmapMasks(mask[None], size, size),
                   gt_bboxes=HorizontalBoxes(tight_box(mask)[None]))
    np.random.seed(0)
    for _ in range(5):
        out = _no_op_affine(max_rotate_degree=180.0)(copy.deepcopy(results))
        ys, xs = np.nonzero(_mask(out))
        assert abs(ys.mean() - 32) < 1 and abs(xs.mean() - 32) < 1
        assert set(np.unique(_mask(out))) == {0, 1}


def test_affine_fills_uncovered_pixels_with_zeros():
    img = np.full((40, 40, 3), 200, np.uint8)
    np.random.seed(0)
    out = _no_op_affine(max_translate_ratio=0.5)(dict(img=img, img_shape=(40, 40)))
    assert out['img'].min() == 0 and out['img'].max() == 200


def test_affine_without_masks_projects_boxes():
    boxes = np.array([[10., 20., 30., 40.]], np.float32)
    results = dict(img=np.zeros((64, 64, 3), np.uint8), img_shape=(64, 64),
                   gt_bboxes=boxes, gt_bboxes_labels=np.array([0]),
                   gt_ignore_flags=np.array([False]))
    out = _no_op_affine()(results)
    assert isinstance(out['gt_bboxes'], np.ndarray)
    np.testing.assert_allclose(out['gt_bboxes'], boxes)


def test_box_from_mask_drops_empty_instances_with_their_fields():
    masks = np.zeros((2, 16, 16), np.uint8)
    masks[1, 3:9, 5:7] = 1
    results = dict(gt_masks=BitmapMasks(masks, 16, 16),
                   gt_bboxes=np.zeros((2, 4), np.float32),
                   gt_bboxes_labels=np.array([0, 1]),
                   gt_ignore_flags=np.array([True, False]))
    out = BoxFromMask()(results)
    assert isinstance(out['gt_bboxes'], np.ndarray)  # type kept
    np.testing.assert_array_equal(out['gt_bboxes'], [[5, 3, 7, 9]])
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [1])
    np.testing.assert_array_equal(out['gt_ignore_flags'], [False])
    assert len(out['gt_masks']) == 1


def test_box_from_mask_without_masks_names_the_image():
    with pytest.raises(KeyError, match='a.png'):
        BoxFromMask()(dict(img_path='a.png', gt_bboxes=np.zeros((0, 4), np.float32)))


def _write_odd_images(folder: Path) -> dict:
    """Grayscale, RGBA, 16-bit and EXIF-rotated files with known content."""
    h, w = 6, 10
    gray = (np.arange(h * w).reshape(h, w) * 4).astype(np.uint8)
    bgr = np.dstack([gray, gray // 2, gray // 3])
    cv2.imwrite(str(folder / 'gray.png'), gray)
    cv2.imwrite(str(folder / 'rgba.png'), np.dstack([bgr, np.full_like(gray, 9)]))
    cv2.imwrite(str(folder / 'gray16.png'), gray.astype(np.uint16) * 256 + 77)
    cv2.imwrite(str(folder / 'bgr16.png'), bgr.astype(np.uint16) * 256 + 77)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees to display"
    Image.fromarray(np.dstack([gray] * 3)).save(folder / 'exif.jpg', exif=exif, quality=100)
    replicated = np.dstack([gray] * 3)
    return {'gray.png': replicated, 'rgba.png': bgr, 'gray16.png': replicated,
            'bgr16.png': bgr, 'exif.jpg': replicated}


def test_config_loads_any_image_as_uint8_bgr_on_stored_grid(cfg, tmp_path):
    expected = _write_odd_images(tmp_path)
    load = TRANSFORMS.build(_step(cfg.train_pipeline, 'LoadImageFromFile'))
    assert cfg.test_pipeline[0] == cfg.train_pipeline[0]
    for name, want in expected.items():
        img = load(dict(img_path=str(tmp_path / name)))['img']
        assert img.dtype == np.uint8 and img.shape == want.shape, name
        # JPEG is lossy; everything else must be exact.
        atol = 2 if name.endswith('.jpg') else 0
        np.testing.assert_allclose(img, want, atol=atol, err_msg=name)


def test_class_agnostic_labels_make_every_lesion_class_zero():
    from mmskin.datasets.transforms import ClassAgnosticLabels
    results = ClassAgnosticLabels()(dict(gt_bboxes_labels=np.array([1, 0, 1], dtype=np.int64)))
    assert results['gt_bboxes_labels'].tolist() == [0, 0, 0]
    assert results['gt_bboxes_labels'].dtype == np.int64
    with pytest.raises(KeyError, match='after LoadAnnotations'):
        ClassAgnosticLabels()(dict(img_path='a.jpg'))
