"""UniformBrightness and GaussianBlur (paper II-A-3)."""

import cv2
import numpy as np
import pytest
from mmdet.structures.mask import BitmapMasks

import mmskin  # noqa: F401  registers the transforms
from mmskin.datasets.transforms import GaussianBlur, UniformBrightness


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
