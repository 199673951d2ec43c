"""The ISIC file rules: which files are images, how masks are named and read.

Every entry point (the converter, the dataset, the metrics, the scorer on
files, inference) reads images and masks through this module, so they agree
with each other and with the official scorer
(ImageMarkup/isic-challenge-scoring):

* images: files with a suffix in :data:`IMAGE_SUFFIXES`, except the mask,
  superpixel and hidden files that ISIC folders also hold;
* masks: single-channel 8-bit PNGs named ``<image id>_segmentation.png``
  (ISIC 2017 and later; what mmskin writes) or ``<image id>_Segmentation.png``
  (ISBI 2016);
* a mask pixel is lesion iff its value is ``> 128`` (:data:`MASK_THRESHOLD`),
  the scorer's rule. A mask with lesion pixels all ``<= 128`` (e.g. a 0/1
  mask) is an error (:func:`read_mask`) or flagged (:func:`read_prediction_mask`),
  never silently read as empty. The converter is stricter (``strict=True``):
  only 0 and 255, and not empty.

Every problem is an :class:`ISICFileError` whose message is one line,
``<file>: <problem>``.
"""
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

PathLike = Union[str, os.PathLike]

#: File suffixes (lower case) taken as images.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
#: Mask name endings: ISIC 2017 and later (the one mmskin writes), ISBI 2016.
MASK_SUFFIXES = ('_segmentation.png', '_Segmentation.png')
#: Files in ISIC image folders that are not lesion images (ISIC 2017 ships
#: superpixel maps beside the images).
NON_IMAGE_SUFFIXES = ('_superpixels.png', ) + MASK_SUFFIXES
#: A mask file name in either spelling; group ``image_id``.
MASK_NAME = re.compile(r'^(?P<image_id>.+)_[Ss]egmentation\.png$')
#: A mask pixel is lesion iff its value is greater than this (official scorer).
MASK_THRESHOLD = 128
# PIL modes of 16-bit samples; 'I' is how PIL opens 16-bit PNGs in some versions.
_16BIT_MODES = ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I')


class ISICFileError(ValueError):
    """A file or folder that cannot be used; ``str()`` is ``'<path>: <problem>'``.

    Args:
        path: the file or folder at fault.
        problem: what is wrong and, where it helps, what was expected.
    """

    def __init__(self, path: PathLike, problem: str) -> None:
        # Both arguments go to the base class so that the error pickles
        # (worker processes send it back to the parent).
        super().__init__(Path(path), problem)
        self.path = Path(path)
        self.problem = problem

    def __str__(self) -> str:
        return f'{self.path}: {self.problem}'


# names and folders

def check_image_id(image_id: str, source: PathLike) -> str:
    """``image_id`` if it can name a file inside an output folder, else an error.

    Image ids come from files (CSV rows, annotation JSON, file names) and
    become output file names: an id that is empty, ``.`` or ``..``, or holds
    a path separator or a NUL byte would write outside the folder (or
    nowhere), so it is refused.

    Args:
        image_id: the id.
        source: the file the id comes from, for the message.

    Raises:
        ISICFileError: naming ``source`` and the id.
    """
    if (not image_id or image_id in ('.', '..') or any(c in image_id for c in '/\\\0')
            or os.path.isabs(image_id)):
        raise ISICFileError(source, f'image id {image_id!r} cannot name a file: expected a '
                            'plain name without path separators (e.g. ISIC_0000000)')
    return image_id


def mask_file_name(image_id: str, source: PathLike = '<image id>') -> str:
    """The name under which the mask of ``image_id`` is written.

    Raises:
        ISICFileError: the id cannot name a file (:func:`check_image_id`).
    """
    return check_image_id(image_id, source) + MASK_SUFFIXES[0]


def find_mask(folder: PathLike, image_id: str) -> Optional[Path]:
    """The mask of ``image_id`` in ``folder`` in either spelling, if present."""
    for suffix in MASK_SUFFIXES:
        candidate = Path(folder) / (image_id + suffix)
        if candidate.is_file():
            return candidate
    return None


def index_masks(folder: PathLike, role: str) -> Dict[str, Path]:
    """``image_id -> path`` of the masks in ``folder`` (other files are ignored).

    Args:
        role: e.g. 'ground-truth' or 'prediction', for the messages.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ISICFileError(folder, f'{role} folder does not exist')
    masks: Dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = MASK_NAME.match(path.name)
        if not match:
            continue
        image_id = match['image_id']
        if image_id in masks:
            raise ISICFileError(folder, f'two {role} masks for {image_id}: '
                                f'{masks[image_id].name} and {path.name}')
        masks[image_id] = path
    if not masks:
        raise ISICFileError(folder, f'no {role} masks named <id>{MASK_SUFFIXES[0]} or '
                            f'<id>{MASK_SUFFIXES[1]}')
    return masks


def is_lesion_image(path: Path) -> bool:
    """Whether a folder entry is a lesion photo (by its name)."""
    return (path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith('.')
            and not path.name.endswith(NON_IMAGE_SUFFIXES) and path.is_file())


def list_images(path: PathLike) -> List[Path]:
    """``path`` itself if it is a file, else the lesion photos of folder
    ``path`` (not its sub-folders), sorted.

    Raises:
        ISICFileError: ``path`` does not exist, or the folder holds no image.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ISICFileError(path, 'no such file or folder')
    images = sorted(p for p in path.iterdir() if is_lesion_image(p))
    if not images:
        raise ISICFileError(path, 'the folder holds no image (expected files ending in '
                            f'{", ".join(IMAGE_SUFFIXES)})')
    return images


# images

def _open_image(path: PathLike, draft: bool = False) -> Tuple[Image.Image, Tuple[int, int]]:
    """A fully decoded PIL image and its stored ``(width, height)``, or an
    :class:`ISICFileError` saying why not.

    With ``draft``, a JPEG is decoded at 1/8 scale, which still reads every
    byte of the file (enough to catch truncation, much faster), and the EXIF
    orientation is not applied.
    """
    try:
        with Image.open(path) as opened:
            size = opened.size
            if draft and opened.format == 'JPEG':
                opened.draft(opened.mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            opened.load()
            return (opened.copy() if draft else ImageOps.exif_transpose(opened)), size
    except FileNotFoundError:
        raise ISICFileError(path, 'no such file') from None
    except UnidentifiedImageError:
        raise ISICFileError(path, 'not an image file (unknown format)') from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        # PIL signals truncated and corrupt data with OSError / SyntaxError.
        raise ISICFileError(path, f'corrupt or truncated image ({err})') from None


def read_image_size(path: PathLike) -> Tuple[int, int]:
    """``(width, height)`` of an image as stored (no EXIF rotation: masks
    follow the stored pixel grid), after checking that it decodes to the end,
    so that corrupt and truncated files are caught before training meets them.
    """
    return _open_image(path, draft=True)[1]


def read_image(path: PathLike) -> np.ndarray:
    """Decode a photo to the 8-bit BGR array the model takes.

    The EXIF orientation is applied (the image is what a viewer shows);
    grayscale and palette images are expanded to three channels, an alpha
    channel is dropped and 16-bit samples keep their high byte, as OpenCV
    (and so the training pipeline) does.

    Raises:
        ISICFileError: missing, not an image, truncated or corrupt, or
            floating-point samples.
    """
    img = _open_image(path)[0]
    if img.mode in _16BIT_MODES:
        gray = (np.asarray(img).astype(np.uint32).clip(0, 65535) >> 8).astype(np.uint8)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if img.mode == 'F':
        raise ISICFileError(path, 'floating-point pixels are not supported; expected 8- or '
                            '16-bit samples')
    rgb = np.asarray(img.convert('RGB'))
    return np.ascontiguousarray(rgb[..., ::-1])


# masks

def _read_mask_pixels(path: PathLike, shape: Optional[Tuple[int, int]]) -> np.ndarray:
    """The uint8 (H, W) values of a single-channel 8-bit mask of size ``shape``."""
    try:
        with Image.open(path) as image:
            image.load()
            # A 1-bit PNG holds 0/255 once converted, as the scorer reads it.
            mask_image = image.convert('L') if image.mode == '1' else image.copy()
    except FileNotFoundError:
        raise ISICFileError(path, 'no such mask file') from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ISICFileError(path, f'cannot be decoded as a mask ({exc})') from None
    if mask_image.mode != 'L':
        raise ISICFileError(path, f'mask has mode {mask_image.mode}; expected a single-channel '
                            '8-bit PNG with values 0 and 255')
    pixels = np.asarray(mask_image)
    if shape is not None and pixels.shape != tuple(shape[:2]):
        height, width = shape[:2]
        hint = (' (transposed: is the photo EXIF-rotated?)'
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
        path: a single-channel 8-bit PNG.
        shape: ``(H, W)`` of its image; a mismatch is an error.
        strict: the converter's rule on top: the mask must hold only 0 and
            255 (JPEG-like noise means the file was damaged) and not be empty.

    Raises:
        ISICFileError: unreadable, not single-channel 8-bit, wrong size, lesion
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
