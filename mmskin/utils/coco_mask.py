"""COCO mask encoding and decoding: the one place mmskin calls pycocotools'
``mask`` module.

Decoding follows mmdet's ``LoadAnnotations``: polygons are merged into one
RLE, an uncompressed RLE (``counts`` a list) is compressed first, and a
compressed RLE is used as it is.
"""
from typing import Optional

import numpy as np
from pycocotools import mask as mask_utils

from .isic_files import ISICFileError, PathLike


def encode_mask(mask: np.ndarray) -> dict:
    """The compressed RLE of a (H, W) mask, ``counts`` as ASCII text so that
    it can be written to JSON."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def decode_segmentation(segmentation, height: int, width: int,
                        where: Optional[PathLike] = None) -> np.ndarray:
    """The bool (H, W) mask of a COCO ``segmentation``.

    Args:
        segmentation: polygons (a list of coordinate lists) or an RLE,
            compressed or not.
        height, width: the image's size.
        where: the file the segmentation comes from, named in the error.

    Raises:
        ISICFileError: the segmentation is neither polygons nor an RLE.
    """
    if isinstance(segmentation, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation, dict) and isinstance(segmentation.get('counts'), list):
        rle = mask_utils.frPyObjects(segmentation, height, width)
    elif isinstance(segmentation, dict) and 'counts' in segmentation:
        rle = segmentation
    else:
        raise ISICFileError(where or '<segmentation>',
                            'segmentation is neither polygons nor an RLE')
    return mask_utils.decode(rle).astype(bool)
