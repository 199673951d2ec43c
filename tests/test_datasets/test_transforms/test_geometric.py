"""RandomAffineWithMasks and BoxFromMask (paper II-A-3, III-A)."""
import copy

import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

import mmskin  # noqa: F401  registers the transforms
from mmskin.datasets.transforms import BoxFromMask, RandomAffineWithMasks
from mmskin.utils import tight_box


def _mask(results: dict) -> np.ndarray:
    return results['gt_masks'].to_ndarray()[0]


def _box(results: dict) -> np.ndarray:
    return results['gt_bboxes'].numpy()[0]


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
