"""Reading lesion masks, as the official ISIC scorer does.

* A mask is a grey image: 8-bit grey (the ISIC PNGs), 1-bit (read as
  0/255), or colour whose channels are all equal (some PH2 copies hold
  24-bit BMP masks). A mask in real colour, or of another kind, is an error
  that names the file's own format.
* A mask pixel is lesion iff its value is ``> 128`` (:data:`MASK_THRESHOLD`),
  the scorer's rule. A mask with lesion pixels all ``<= 128`` (e.g. a 0/1
  mask) is an error (:func:`read_mask`) or flagged
  (:func:`read_prediction_mask`), never silently read as empty. The
  converter is stricter (``strict=True``): only 0 and 255, and not empty.
* A mask has its image's size as stored (:func:`~.isic_files.read_image`).

Every problem is an :class:`~.isic_files.ISICFileError` naming the file.
"""
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
from PIL import Image

from .isic_files import ISICFileError, PathLike

#: A mask pixel is lesion iff its value is greater than this (official scorer).
MASK_THRESHOLD = 128


def _grey_pixels(path: PathLike, image: Image.Image, kind: str) -> np.ndarray:
    """The uint8 (H, W) values of a grey mask; ``kind`` names its format."""
    if image.mode == '1':  # 0/255 once converted, as the scorer reads a 1-bit mask
        return np.asarray(image.convert('L'))
    if image.mode == 'L':
        return np.asarray(image)
    if image.mode in ('RGB', 'P'):
        rgb = np.asarray(image.convert('RGB'))
        differ = int(np.count_nonzero((rgb != rgb[..., :1]).any(axis=2)))
        if differ:
            raise ISICFileError(path, f'mask is a colour {kind} whose channels differ at '
                                f'{differ} pixels; expected a grey mask (one channel, or equal '
                                'channels) with values 0 and 255')
        return np.ascontiguousarray(rgb[..., 0])
    raise ISICFileError(path, f'mask is a {kind} of mode {image.mode}; expected an 8-bit grey '
                        'mask (one channel, or equal channels) with values 0 and 255')


def _read_mask_pixels(path: PathLike, shape: Optional[Tuple[int, int]]) -> np.ndarray:
    """The uint8 (H, W) values of a grey mask of size ``shape``."""
    try:
        with Image.open(path) as opened:
            opened.load()
            kind = f'{opened.format or Path(path).suffix.lstrip(".").upper()} image'
            image = opened.copy()
    except FileNotFoundError:
        raise ISICFileError(path, 'no such mask file') from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ISICFileError(path, f'cannot be decoded as a mask ({exc})') from None
    pixels = _grey_pixels(path, image, kind)
    if shape is not None and pixels.shape != tuple(shape[:2]):
        height, width = shape[:2]
        hint = (' (transposed: is the photo EXIF-rotated? images are used as stored)'
                if pixels.shape == (width, height) else '')
        raise ISICFileError(path, f'mask is {pixels.shape[1]}x{pixels.shape[0]} (WxH) but its '
                            f'image is {width}x{height}{hint}')
    return pixels


def _low_valued(pixels: np.ndarray) -> bool:
    """Lesion pixels present, but none above the threshold (e.g. a 0/1 mask)."""
    return bool(pixels.any()) and not bool((pixels > MASK_THRESHOLD).any())


def read_mask(path: PathLike, shape: Optional[Tuple[int, int]] = None, *,
              strict: bool = False) -> np.ndarray:
    """A ground-truth mask as bool (H, W), lesion where the value is ``> 128``.

    Args:
        path: a grey mask (see the module docstring).
        shape: ``(H, W)`` of its image; a mismatch is an error.
        strict: the converter's rule on top: the mask must hold only 0 and
            255 (JPEG-like noise means the file was damaged) and not be empty.

    Raises:
        ISICFileError: unreadable, not grey, wrong size, lesion
            values all ``<= 128`` (e.g. a 0/1 mask), or (``strict``) empty or
            not 0/255.
    """
    pixels = _read_mask_pixels(path, shape)
    if _low_valued(pixels):
        raise ISICFileError(path, f'mask values are at most {int(pixels.max())}; the ISIC scorer '
                            'reads only values > 128 as lesion, so this would be all background '
                            '(a 0/1 mask? multiply it by 255)')
    if strict:
        values = np.unique(pixels)
        if values.max() == 0:
            raise ISICFileError(path, 'mask is empty (all 0)')
        if not np.isin(values, (0, 255)).all():
            shown = ', '.join(str(v) for v in values[:6]) + (', ...' if values.size > 6 else '')
            raise ISICFileError(path, f'mask is not binary: values {shown}; expected only 0 '
                                'and 255')
    return pixels > MASK_THRESHOLD


def read_prediction_mask(path: PathLike,
                         shape: Optional[Tuple[int, int]] = None) -> Tuple[np.ndarray, bool]:
    """A predicted mask binarised as the scorer does, and whether it is low-valued.

    Unlike :func:`read_mask`, a mask whose lesion values are all ``<= 128``
    is scored as the official scorer scores it (all background); the flag
    lets the caller warn about it.

    Returns:
        ``(mask, low_valued)``: bool (H, W) and the flag.
    """
    pixels = _read_mask_pixels(path, shape)
    return pixels > MASK_THRESHOLD, _low_valued(pixels)
