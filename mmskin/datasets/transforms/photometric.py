"""Photometric augmentation of paper II-A-3: brightness scaling and Gaussian
blur. Neither moves the lesion, so masks and boxes are left alone."""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import Brightness
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class UniformBrightness(Brightness):
    """Multiply the image by a factor drawn from U(min_mag, max_mag).

    Paper II-A-3: "multiplying each image with a random value between 0.8 and
    1.5". mmdet's :class:`Brightness` does multiply (``mmcv.adjust_brightness``
    blends with a black image: ``img * f + 0 * (1 - f)``, clipped to
    [0, 255]), but ``level_to_mag`` rounds the factor to one decimal, so it
    takes only the eight values 0.8, 0.9, ..., 1.5, the two ends half as often
    as the others. This subclass draws the factor from the continuous uniform
    distribution; the multiplication is mmdet's. The zero padding stays zero.

    Args:
        prob: probability of applying the transform. Defaults to 1.0.
        min_mag: smallest factor. Defaults to 0.8 (paper).
        max_mag: largest factor. Defaults to 1.5 (paper).
    """

    def __init__(self,
                 prob: float = 1.0,
                 min_mag: float = 0.8,
                 max_mag: float = 1.5) -> None:
        super().__init__(prob=prob, level=None, min_mag=min_mag,
                         max_mag=max_mag)

    @cache_randomness
    def _get_mag(self) -> float:
        """The brightness factor, continuous in [min_mag, max_mag]."""
        return float(np.random.uniform(self.min_mag, self.max_mag))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'min_mag={self.min_mag}, max_mag={self.max_mag})')


@TRANSFORMS.register_module()
class GaussianBlur(BaseTransform):
    """Blur the image with a Gaussian of random standard deviation.

    Paper II-A-3 lists "Gaussian blurring" without parameters. The standard
    deviation (pixels, same along x and y) is drawn from U(*sigma_range); the
    kernel spans +-3 sigma (``cv2.GaussianBlur`` with ``ksize=(0, 0)``) and
    borders are reflected. The default range (0, 5) is that of the imgaug
    augmentation in Matterport's Mask R-CNN samples
    (``GaussianBlur(sigma=(0.0, 5.0))``), whose list of operations and
    brightness range (``Multiply((0.8, 1.5))``) are the paper's.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        sigma_range: (min, max) standard deviation in pixels of the
            (resized) image. Defaults to (0.0, 5.0).
    """

    def __init__(self, sigma_range: Tuple[float, float] = (0.0, 5.0)) -> None:
        low, high = sigma_range
        if not 0 <= low <= high:
            raise ValueError(
                'GaussianBlur: sigma_range must be (min, max) with '
                f'0 <= min <= max, got {sigma_range}.')
        self.sigma_range = (float(low), float(high))

    @cache_randomness
    def _get_sigma(self) -> float:
        return float(np.random.uniform(*self.sigma_range))

    def transform(self, results: dict) -> dict:
        sigma = self._get_sigma()
        # cv2 rejects sigma = 0 with an automatic kernel size.
        if sigma > 0:
            results['img'] = cv2.GaussianBlur(
                results['img'], ksize=(0, 0), sigmaX=sigma, sigmaY=sigma)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(sigma_range={self.sigma_range})'
