"""COCO mask encoding and decoding: the one place mmskin calls pycocotools'
``mask`` module, and the annotation of one lesion mask.

Decoding follows mmdet's ``LoadAnnotations``: polygons are merged into one
RLE, an uncompressed RLE (``counts`` a list) is compressed first, and a
compressed RLE is used as it is.
"""
from typing import Optional

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .isic_files import ISICFileError, PathLike
from .lesion import tight_box


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


def mask_to_annotation(mask: np.ndarray, polygon: bool = False) -> dict:
    """COCO ``bbox``, ``area`` and ``segmentation`` of one binary mask.

    The box is the tight box of the mask (paper III-A), in COCO's
    ``[x, y, w, h]``. ``area`` counts mask pixels in both encodings. Polygons
    trace the outer contours only (COCO polygons cannot hold holes), so an
    RLE is the exact encoding and the default.

    Raises:
        ValueError: ``polygon`` is set and no contour has 3 or more points.
    """
    x0, y0, x1, y1 = (float(v) for v in tight_box(mask))
    if polygon:
        contours, _ = cv2.findContours(
            mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        # Contours run through pixel indices; COCO coordinates put pixel i on
        # [i, i + 1], so + 0.5 puts the points on the pixel centres.
        segmentation = [(c.reshape(-1) + 0.5).tolist() for c in contours if len(c) >= 3]
        if not segmentation:
            raise ValueError('no region of the mask is large enough to trace as a polygon')
    else:
        segmentation = encode_mask(mask)
    return dict(bbox=[x0, y0, x1 - x0, y1 - y0], area=int(mask.sum()),
                segmentation=segmentation)
