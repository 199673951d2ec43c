"""Colour constancy: Shades of Gray (Finlayson and Trezzi, 2004).

Dermoscopy photos of the ISIC archive come from many cameras and light
sources; the same lesion takes different colour casts. Barata et al.
("Improving dermoscopy image classification using color constancy", IEEE
JBHI 2015) showed that removing the cast with Shades of Gray helps lesion
classification, and leading ISIC 2017-2019 entries apply it to every image.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS


def shades_of_gray(img: np.ndarray, power: float = 6.0) -> np.ndarray:
    """The image with the illuminant estimated by Shades of Gray removed.

    The illuminant's colour is the per-channel Minkowski p-norm mean
    ``e_c = (mean over pixels of I_c ** p) ** (1 / p)``; each channel is
    multiplied by ``mean(e) / e_c`` (a von Kries diagonal correction), so that
    afterwards every channel has the same Minkowski mean, ``mean(e)``, and
    the image keeps its overall level. ``p = 1`` is grey world (Buchsbaum
    1980), ``p -> inf`` max-RGB; the ISIC entries' code scales by the
    quadratic mean of ``e`` instead, which differs from this by one global
    brightness factor only.

    Args:
        img: (H, W, C) uint8.
        power: the Minkowski norm p, >= 1 (6: Finlayson and Trezzi, Barata
            et al.).

    Returns:
        (H, W, C) uint8, rounded and clipped to [0, 255]. A channel that is
        zero everywhere stays zero.
    """
    if img.dtype != np.uint8 or img.ndim != 3:
        raise ValueError(f'ShadesOfGray needs an (H, W, C) uint8 image, got {img.dtype} '
                         f'{img.shape}')
    # In [0, 1], 255 ** 6 summed over a large photo would lose precision.
    pixels = img.astype(np.float32) / 255.0
    illuminant = np.mean(pixels**power, axis=(0, 1), dtype=np.float64)**(1.0 / power)
    gain = np.divide(illuminant.mean(), illuminant, out=np.ones_like(illuminant),
                     where=illuminant > 0)
    corrected = pixels * gain.astype(np.float32) * 255.0
    return np.clip(np.rint(corrected), 0, 255).astype(np.uint8)


@TRANSFORMS.register_module()
class ShadesOfGray(BaseTransform):
    """Colour constancy by Shades of Gray, see :func:`shades_of_gray`.

    Put it right after the image is loaded, before padding: the zero border
    would otherwise count as dark pixels of every channel. Masks and boxes
    are left alone.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        power: the Minkowski norm p. Defaults to 6.
    """

    def __init__(self, power: float = 6.0) -> None:
        if not power >= 1:
            raise ValueError(f'ShadesOfGray: power must be >= 1, got {power}')
        self.power = float(power)

    def transform(self, results: dict) -> dict:
        results['img'] = shades_of_gray(results['img'], self.power)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(power={self.power})'
