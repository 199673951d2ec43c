"""Drawing synthetic dermoscopy photos (for :mod:`mmskin.datasets.synthetic`).

* skin-toned background with low-frequency texture, a dark circular vignette
  and a few hairs crossing the field;
* one pigmented lesion near the centre. Benign lesions are round-ish and of
  a uniform brown; malignant ones follow the ABC rule of thumb of
  dermoscopy: Asymmetric, with an irregular Border and several Colours
  (dark blotches, blue-grey and reddish areas). Their masks are therefore
  less convex and their pixels more varied, which the tests measure.
"""
from __future__ import annotations

from typing import Tuple

import cv2
import numpy as np

# RGB colours in [0, 1].
_BENIGN_BROWN = np.array([0.55, 0.36, 0.24])
_MALIGNANT_BROWN = np.array([0.42, 0.26, 0.18])
_MALIGNANT_BLOTCHES = np.array([
    [0.10, 0.07, 0.07],  # black
    [0.20, 0.12, 0.10],  # dark brown
    [0.38, 0.42, 0.52],  # blue-grey veil
    [0.58, 0.24, 0.22],  # red
])
_HAIR = np.array([0.14, 0.10, 0.08])

_ANGLE_STEPS = 1024
#: Superpixel cell side, as a fraction of the short image side.
_SUPERPIXEL_CELL = 0.05


def _grid(height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel row and column coordinates as broadcastable float32 arrays."""
    return (np.arange(height, dtype=np.float32)[:, None],
            np.arange(width, dtype=np.float32)[None, :])


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Noise in [-1, 1] that varies over about ``cells`` cells along the short side."""
    step = max(1, min(height, width) // cells)
    coarse = rng.uniform(-1, 1, (height // step + 2, width // step + 2)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def _skin(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Skin-toned background with texture and a dark circular vignette, (H, W, 3)."""
    red = rng.uniform(0.78, 0.93)
    tone = np.array([red, red * rng.uniform(0.72, 0.82), red * rng.uniform(0.62, 0.74)])
    texture = 1 + 0.04 * _smooth_noise(rng, height, width, 12)
    # Dermoscopes image through a round lens: the corners fall off to dark.
    yy, xx = _grid(height, width)
    radius = np.hypot(xx - width / 2, yy - height / 2) / (max(height, width) / 2)
    falloff = np.clip((radius - rng.uniform(0.75, 0.95)) / 0.45, 0, 1) ** 2
    shading = texture * (1 - rng.uniform(0.4, 0.9) * falloff)
    return shading[..., None] * tone.astype(np.float32)


def _lesion_shape(rng: np.random.Generator, height: int,
                  width: int, malignant: bool) -> Tuple[np.ndarray, Tuple[slice, slice]]:
    """Soft lesion coverage in [0, 1]; the mask is coverage > 0.5.

    The border is a radius r(theta) made of random harmonics: few and weak
    for benign lesions (round-ish), many and strong plus a one-sided bulge
    for malignant ones (irregular, asymmetric).

    Returns:
        ``(coverage, window)``: coverage is computed only inside
        ``image[window]``, the box that can hold the lesion (cheaper than
        the whole image); it is zero outside.
    """
    short = min(height, width)
    cx = width * np.clip(0.5 + rng.normal(0, 0.06), 0.3, 0.7)
    cy = height * np.clip(0.5 + rng.normal(0, 0.06), 0.3, 0.7)
    base_radius = short * rng.uniform(0.15, 0.34)
    # r(theta) is tabulated on _ANGLE_STEPS angles and looked up per pixel.
    angles = np.linspace(-np.pi, np.pi, _ANGLE_STEPS, endpoint=False)
    if malignant:
        orders, amplitude = np.arange(2, 10), rng.uniform(0.06, 0.16, 8) / np.sqrt(np.arange(1, 9))
        bulge = rng.uniform(0.15, 0.35) * np.cos(angles - rng.uniform(0, 2 * np.pi))
    else:
        orders, amplitude = np.arange(2, 4), rng.uniform(0.0, 0.05, 2)
        bulge = 0.0
    phases = rng.uniform(0, 2 * np.pi, orders.size)
    wobble = np.cos(orders[:, None] * angles + phases[:, None]).T @ amplitude
    border = (base_radius * np.clip(1 + bulge + wobble, 0.35, None)).astype(np.float32)
    edge = max(1.0, 0.01 * short) * (2.5 if malignant else 1.0)
    reach = border.max() + edge
    window = (slice(max(0, int(cy - reach)), min(height, int(cy + reach) + 2)),
              slice(max(0, int(cx - reach)), min(width, int(cx + reach) + 2)))
    yy, xx = _grid(height, width)
    dx, dy = xx[:, window[1]] - cx, yy[window[0]] - cy
    rotation = rng.uniform(0, np.pi)
    along = dx * np.cos(rotation) + dy * np.sin(rotation)
    # Dividing by an axis ratio < 1 flattens the lesion across its long axis.
    across = (dy * np.cos(rotation) - dx * np.sin(rotation)) / rng.uniform(0.7, 1.0)
    bins = (np.arctan2(across, along) + np.pi) * (_ANGLE_STEPS / (2 * np.pi))
    radius = border[bins.astype(np.int32) % _ANGLE_STEPS]
    coverage = np.zeros((height, width), np.float32)
    coverage[window] = np.clip((radius - np.hypot(along, across)) / edge + 0.5, 0, 1)
    return coverage, window


def _pigment(rng: np.random.Generator, coverage: np.ndarray, malignant: bool) -> np.ndarray:
    """Lesion colour at every pixel of ``coverage``, (H, W, 3)."""
    height, width = coverage.shape
    shade = (1 + 0.06 * _smooth_noise(rng, height, width, 8))[..., None]
    if not malignant:
        return shade * (_BENIGN_BROWN * rng.uniform(0.85, 1.1)).astype(np.float32)
    colour = shade * (_MALIGNANT_BROWN * rng.uniform(0.8, 1.05)).astype(np.float32)
    ys, xs = np.nonzero(coverage > 0.5)
    short = min(height, width)
    # Blotches with ragged rather than Gaussian outlines.
    ragged = 1.4 + _smooth_noise(rng, height, width, 10)
    for _ in range(rng.integers(3, 7)):
        pick = rng.integers(ys.size)
        sigma = short * rng.uniform(0.06, 0.16)
        # Only the box within 3 sigma of the centre is touched.
        rows = slice(max(0, int(ys[pick] - 3 * sigma)), min(height, int(ys[pick] + 3 * sigma) + 1))
        cols = slice(max(0, int(xs[pick] - 3 * sigma)), min(width, int(xs[pick] + 3 * sigma) + 1))
        yy, xx = _grid(height, width)
        blob = np.exp(-((xx[:, cols] - xs[pick]) ** 2 + (yy[rows] - ys[pick]) ** 2)
                      / (2 * sigma ** 2))
        blob = np.clip(blob * ragged[rows, cols], 0, 1)[..., None]
        blotch = _MALIGNANT_BLOTCHES[rng.integers(len(_MALIGNANT_BLOTCHES))].astype(np.float32)
        colour[rows, cols] = colour[rows, cols] * (1 - blob) + blotch * blob
    return colour


def _draw_hairs(rng: np.random.Generator, image: np.ndarray) -> None:
    """Draw dark curved hairs across the field, in place (anti-aliased quadratic curves)."""
    height, width = image.shape[:2]
    layer = np.zeros((height, width), np.uint8)
    t = np.linspace(0, 1, 40)[:, None]
    thickness = max(1, round(min(height, width) / 300))
    for _ in range(rng.integers(0, 7)):
        ends = rng.uniform(0, 1, (3, 2)) * (width, height)
        curve = (1 - t) ** 2 * ends[0] + 2 * t * (1 - t) * ends[1] + t ** 2 * ends[2]
        cv2.polylines(layer, [np.round(curve).astype(np.int32)], False, 255,
                      thickness=thickness, lineType=cv2.LINE_AA)
    hair = layer > 0
    alpha = (layer[hair].astype(np.float32) * (0.85 / 255))[:, None]
    image[hair] = image[hair] * (1 - alpha) + _HAIR.astype(np.float32) * alpha


def render_dermoscopy(rng: np.random.Generator, width: int, height: int,
                      malignant: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one synthetic dermoscopy image and its lesion mask.

    Args:
        rng: source of all randomness (the same state gives the same image).
        width, height: image size in pixels.
        malignant: draw an asymmetric, irregular, multi-coloured lesion
            instead of a round, uniformly brown one.

    Returns:
        ``(image, mask)``: uint8 RGB (H, W, 3) and bool (H, W) with at least
        one foreground pixel.
    """
    coverage, window = _lesion_shape(rng, height, width, malignant)
    image = _skin(rng, height, width)
    alpha = coverage[window][..., None]
    lesion = _pigment(rng, coverage[window], malignant)
    image[window] = image[window] * (1 - alpha) + lesion * alpha
    _draw_hairs(rng, image)
    image += 0.012 * rng.standard_normal((height, width, 1), dtype=np.float32)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8), coverage > 0.5


def superpixel_map(width: int, height: int) -> np.ndarray:
    """An ISIC 2017 style superpixel image, uint8 RGB (H, W, 3).

    The official files store the superpixel index of each pixel as
    ``R + 256 * G + 65536 * B``; here the superpixels are square cells.
    """
    cell = max(4, round(min(width, height) * _SUPERPIXEL_CELL))
    yy, xx = np.mgrid[0:height, 0:width]
    index = (yy // cell) * -(-width // cell) + xx // cell
    return np.stack([index & 255, (index >> 8) & 255, index >> 16], axis=-1).astype(np.uint8)
