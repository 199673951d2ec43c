"""The ISIC file rules: which files are images, how they are read, how
masks are named (masks are read by :mod:`.mask_files`).

Every entry point (the converter, the dataset, the metrics, the scorer on
files, inference) reads images and masks through these modules, so they
agree with each other and with the official scorer
(ImageMarkup/isic-challenge-scoring):

* images: files with a suffix in :data:`IMAGE_SUFFIXES`, except the mask,
  superpixel and hidden files that ISIC folders also hold;
* images are used as stored: the EXIF orientation tag is ignored by every
  reader (:func:`read_image`, :func:`read_image_size`, the dataset's loading
  step, :data:`STORED_ORIENTATION`), because the ISIC masks are drawn on the
  stored pixel grid; a viewer that turns the photo shows it turned;
* masks: ``<image id>_segmentation.png`` (ISIC 2017 and later; what mmskin
  writes) or ``<image id>_Segmentation.png`` (ISBI 2016).

Every problem is an :class:`ISICFileError` whose message is one line,
``<file>: <problem>``.
"""
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

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
# PIL modes of 16-bit samples; 'I' is how PIL opens 16-bit PNGs in some versions.
_16BIT_MODES = ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I')
#: mmcv decoding flags that apply the EXIF orientation, and the flag that
#: reads the same pixels as stored (see the module docstring).
STORED_ORIENTATION = {'color': 'color_ignore_orientation',
                      'grayscale': 'grayscale_ignore_orientation'}


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
    """A fully decoded PIL image as stored (no EXIF rotation) and its
    ``(width, height)``, or an :class:`ISICFileError` saying why not.

    With ``draft``, a JPEG is decoded at 1/8 scale, which still reads every
    byte of the file (enough to catch truncation, much faster).
    """
    try:
        with Image.open(path) as opened:
            size = opened.size
            if draft and opened.format == 'JPEG':
                opened.draft(opened.mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            opened.load()
            return opened.copy(), size
    except FileNotFoundError:
        raise ISICFileError(path, 'no such file') from None
    except UnidentifiedImageError:
        raise ISICFileError(path, 'not an image file (unknown format)') from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        # PIL signals truncated and corrupt data with OSError / SyntaxError.
        raise ISICFileError(path, f'corrupt or truncated image ({err})') from None


def read_image_size(path: PathLike) -> Tuple[int, int]:
    """``(width, height)`` of an image as stored (see :func:`read_image`),
    after checking that it decodes to the end, so that corrupt and truncated
    files are caught before training meets them.
    """
    return _open_image(path, draft=True)[1]


def read_image(path: PathLike) -> np.ndarray:
    """Decode a photo to the 8-bit BGR array the model takes.

    The one image reader of mmskin: the pixels are used **as stored**, the
    EXIF orientation tag is ignored, as the converter, the dataset's loading
    step (``color_ignore_orientation``, :data:`STORED_ORIENTATION`), the
    scorer and the report do. The ISIC archive's masks are drawn on the
    stored pixel grid, so a photo turned by its EXIF tag would no longer
    match its mask, and a prediction made on it could not be scored against
    the converter's ground truth. Grayscale and palette images are expanded
    to three channels, an alpha channel is dropped and 16-bit samples keep
    their high byte, as OpenCV (and so the training pipeline) does.

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
