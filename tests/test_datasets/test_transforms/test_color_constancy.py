import numpy as np
import pytest
from mmdet.structures.mask import BitmapMasks

from mmskin.datasets.transforms import ShadesOfGray
from mmskin.datasets.transforms.color_constancy import shades_of_gray


def _minkowski_means(img, p):
    return ((img.astype(np.float64) / 255)**p).mean(axis=(0, 1))**(1 / p)


def _grey_scene(seed=0):
    """A grey-world scene: every channel holds the same values."""
    grey = np.random.RandomState(seed).randint(40, 160, (48, 64)).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


@pytest.mark.parametrize('power', [1, 6])
def test_a_colour_cast_is_removed(power):
    scene = _grey_scene()
    cast = np.clip(scene * np.array([1.3, 1.0, 0.7]), 0, 255).astype(np.uint8)
    means = _minkowski_means(cast, power)
    assert means.max() - means.min() > 0.1
    corrected = shades_of_gray(cast, power)
    np.testing.assert_allclose(_minkowski_means(corrected, power), means.mean(), atol=3e-3)
    # The cast of a grey scene was the only difference between the channels.
    assert np.abs(corrected[..., 0].astype(int) - corrected[..., 2]).max() <= 2


def test_power_one_is_grey_world():
    img = np.random.RandomState(1).randint(0, 200, (30, 40, 3)).astype(np.uint8)
    means = img.reshape(-1, 3).mean(axis=0)
    grey_world = np.clip(np.rint(img * (means.mean() / means)), 0, 255).astype(np.uint8)
    corrected = shades_of_gray(img, power=1)
    assert np.abs(corrected.astype(int) - grey_world).max() <= 1


def test_uint8_in_and_out_clipped_and_a_grey_image_unchanged():
    img = np.full((20, 30, 3), 200, np.uint8)
    # A dark channel with a few saturated pixels: its gain takes them past 255.
    img[..., 2] = np.where(np.random.RandomState(2).rand(20, 30) < 0.05, 255, 0)
    corrected = shades_of_gray(img)
    assert corrected.dtype == np.uint8 and corrected.shape == img.shape
    assert corrected[..., 2].max() == 255 and corrected[..., 0].max() < 200
    grey = _grey_scene(3)
    np.testing.assert_array_equal(shades_of_gray(grey), grey)
    with pytest.raises(ValueError, match='uint8'):
        shades_of_gray(img.astype(np.float32))


def test_black_channel_stays_black():
    img = np.random.RandomState(4).randint(0, 256, (10, 10, 3)).astype(np.uint8)
    img[..., 1] = 0
    corrected = shades_of_gray(img)
    assert not corrected[..., 1].any()


def test_transform_leaves_masks_and_boxes_alone():
    img = np.random.RandomState(5).randint(0, 256, (16, 24, 3)).astype(np.uint8)
    masks = BitmapMasks(np.random.RandomState(6).rand(1, 16, 24) > 0.5, 16, 24)
    boxes = np.array([[1., 2., 10., 12.]], np.float32)
    results = ShadesOfGray()(dict(img=img.copy(), gt_masks=masks, gt_bboxes=boxes.copy()))
    np.testing.assert_array_equal(results['img'], shades_of_gray(img, 6))
    assert results['gt_masks'] is masks
    np.testing.assert_array_equal(results['gt_bboxes'], boxes)
    with pytest.raises(ValueError, match='power'):
        ShadesOfGray(power=0.5)
