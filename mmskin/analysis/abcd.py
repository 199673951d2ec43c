"""The dermatologist's ABCD features of a lesion, from its photo and mask.

The ABCD rule of dermoscopy (Stolz et al. 1994) scores Asymmetry, Border,
Colour and Differential structures; the clinical ABCD mnemonic puts the
Diameter in place of the last. This module measures what a mask and the
pixels under it tell of four of them, for a ground-truth or a predicted mask:

* asymmetry: the mask is reflected about each of its principal axes (through
  its centroid, from its second moments); ``asymmetry_major`` /
  ``asymmetry_minor`` is the fraction of lesion pixels whose mirror image
  falls outside the lesion (0 for a shape symmetric about that axis);
* border: ``compactness`` = 4 pi area / perimeter^2 (1 for a disc, smaller
  for a ragged or elongated border; the perimeter is scikit-image's Crofton
  estimate, within 3% for a digital disc of radius 20 or more, where the
  length of its pixel chain is 5% too long), ``solidity`` = area / area of the convex hull
  (1 for a convex lesion, smaller for a notched one) and
  ``fractal_dimension``, the box-counting dimension of the border pixels
  (1 for a smooth curve, up to 2 for a border that fills the plane);
* colour: ``n_colours``, how many of the six dermoscopy colours
  (:data:`DERMOSCOPY_COLOURS`) cover at least :data:`MIN_COLOUR_FRACTION` of
  the lesion, each lesion pixel taking the nearest reference colour in CIELAB
  (Delta E 1976); and ``colour_spread``, the root of the summed variances
  of L*, a* and b* over the lesion (variegation without reference colours);
* diameter: ``diameter_px``, the largest distance between the centres of
  two lesion pixels (maximum Feret diameter: 2r for a digital disc of
  radius r), and ``diameter_mm`` = ``diameter_px`` x the pixel size, NaN
  when the pixel size is not known.

An empty mask has nothing to measure: every feature is NaN.
"""
import math
from typing import Dict, Optional

import cv2
import numpy as np
from skimage.color import rgb2lab
from skimage.measure import perimeter_crofton

from mmskin.evaluation import ABCD_COLUMNS

#: sRGB reference values of the six colours dermoscopy names. Each is the
#: plain sRGB prototype of its name; blue-grey is a grey with a cyan cast, the
#: colour of melanin in the dermis.
DERMOSCOPY_COLOURS = {
    'white': (255, 255, 255),
    'red': (204, 51, 51),
    'light brown': (153, 102, 51),
    'dark brown': (51, 0, 0),
    'blue-grey': (0, 134, 139),
    'black': (0, 0, 0),
}
#: Share of the lesion's pixels a colour must cover to be counted; below it
#: a colour is a few pixels of noise or of the border's blend with the skin.
MIN_COLOUR_FRACTION = 0.05
#: Most lesion pixels whose colour is measured (see :func:`colour_features`).
MAX_COLOUR_PIXELS = 250_000


def _reference_lab() -> np.ndarray:
    rgb = np.array(list(DERMOSCOPY_COLOURS.values()), dtype=np.float64)[None] / 255.0
    return rgb2lab(rgb)[0]


_REFERENCE_LAB = _reference_lab()


def asymmetry(mask: np.ndarray) -> Dict[str, float]:
    """``asymmetry_major`` and ``asymmetry_minor`` of a non-empty bool mask."""
    moments = cv2.moments(mask.astype(np.uint8), binaryImage=True)
    centre = np.array([moments['m10'], moments['m01']]) / moments['m00']
    covariance = np.array([[moments['mu20'], moments['mu11']], [moments['mu11'], moments['mu02']]])
    # eigh sorts ascending: the major axis is the last eigenvector
    axes = np.linalg.eigh(covariance)[1].T[::-1]
    lesion = mask.astype(np.uint8)
    area = float(lesion.sum())
    out = {}
    for name, axis in zip(('asymmetry_major', 'asymmetry_minor'), axes):
        # Reflection about the line through the centre along `axis`; being its
        # own inverse, it maps the image onto its mirror image either way.
        reflection = 2 * np.outer(axis, axis) - np.eye(2)
        affine = np.hstack([reflection, (centre - reflection @ centre)[:, None]])
        mirrored = cv2.warpAffine(lesion, affine, lesion.shape[::-1], flags=cv2.INTER_NEAREST,
                                  borderValue=0)
        out[name] = 1.0 - float(np.count_nonzero(lesion & mirrored)) / area
    return out


def _outer_points(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    return np.concatenate(contours).reshape(-1, 2)


def compactness(mask: np.ndarray) -> float:
    """4 pi area / perimeter^2 of a non-empty bool mask, at most 1: on a few
    pixels the perimeter estimate falls below that of a disc of their area."""
    perimeter = perimeter_crofton(mask, 4)
    return min(1.0, float(4 * math.pi * mask.sum() / perimeter**2)) if perimeter > 0 else 1.0


def solidity(mask: np.ndarray, hull: np.ndarray) -> float:
    """Lesion area / area of the convex hull of its pixel centres, both
    counted in pixels, so that a digital disc scores about 1 (0.985 at
    radius 40)."""
    filled = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(filled, hull, 1)
    return float(mask.sum() / np.count_nonzero(filled | mask))


def fractal_dimension(mask: np.ndarray) -> float:
    """Box-counting dimension of the border pixels of a non-empty bool mask.

    Boxes of side 1, 2, 4, ... up to a quarter of the lesion's larger side
    (at least 1 and 2); the dimension is the slope of log(count) against
    log(1 / side), fitted by least squares.
    """
    inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8), borderValue=0)
    ys, xs = np.nonzero(mask & ~inner.astype(bool))
    extent = max(np.ptp(ys), np.ptp(xs)) + 1
    sides = [1 << k for k in range(max(2, int(math.log2(max(extent, 1) / 4)) + 1))]
    counts = [len(set(zip((ys // s).tolist(), (xs // s).tolist()))) for s in sides]
    slope = np.polyfit(np.log(1.0 / np.array(sides)), np.log(counts), 1)[0]
    return float(slope)


def colour_features(image: np.ndarray, mask: np.ndarray) -> Dict[str, float]:
    """``n_colours`` and ``colour_spread`` of the lesion pixels of a BGR image.

    A lesion of more than :data:`MAX_COLOUR_PIXELS` pixels is measured on
    every k-th of them (in raster order), which bounds the memory and time a
    photo of many megapixels takes while keeping the shares to a fraction of
    a percent.
    """
    pixels = image[mask]
    pixels = pixels[::math.ceil(len(pixels) / MAX_COLOUR_PIXELS)]
    lab = rgb2lab(pixels[None, :, ::-1])[0]
    distances = np.linalg.norm(lab[:, None, :] - _REFERENCE_LAB[None], axis=2)
    shares = np.bincount(distances.argmin(axis=1), minlength=len(DERMOSCOPY_COLOURS))
    shares = shares / len(lab)
    return dict(n_colours=float(np.count_nonzero(shares >= MIN_COLOUR_FRACTION)),
                colour_spread=float(math.sqrt(lab.var(axis=0).sum())))


def abcd_features(image: np.ndarray, mask: np.ndarray,
                  pixel_size_mm: Optional[float] = None) -> Dict[str, float]:
    """The ABCD features of one lesion (see the module's docstring).

    Args:
        image: BGR uint8 photo (H, W, 3), e.g. from :func:`mmskin.utils.read_image`.
        mask: the lesion (H, W), bool or 0/non-zero; all of its pixels are
            one lesion, whatever the number of connected parts.
        pixel_size_mm: the side of a pixel in millimetres, when known.

    Returns:
        :data:`~mmskin.evaluation.ABCD_COLUMNS` -> float (the optional
        columns of ``predictions.csv``); all NaN for an empty mask.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be BGR uint8 (H, W, 3), got {image.dtype} {image.shape}')
    mask = np.asarray(mask).astype(bool)
    if mask.shape != image.shape[:2]:
        raise ValueError(f'mask has shape {mask.shape}, expected the image size '
                         f'{image.shape[:2]}')
    if not mask.any():
        return dict.fromkeys(ABCD_COLUMNS, math.nan)
    hull = cv2.convexHull(_outer_points(mask))
    hull_points = hull.reshape(-1, 2).astype(np.float64)
    diameter = float(np.max(np.linalg.norm(hull_points[:, None] - hull_points[None], axis=2)))
    features = asymmetry(mask)
    features.update(
        compactness=compactness(mask),
        solidity=solidity(mask, hull),
        fractal_dimension=fractal_dimension(mask),
        **colour_features(image, mask),
        diameter_px=diameter,
        diameter_mm=diameter * pixel_size_mm if pixel_size_mm else math.nan)
    return {name: features[name] for name in ABCD_COLUMNS}
