"""Synthetic dermoscopy images written in the official ISIC layouts.

The ISIC archives cannot be downloaded everywhere (tests, offline demos), so
this module draws lesion images that look enough like dermoscopy for the
whole pipeline to run and for a small network to learn something:

* skin-toned background with low-frequency texture, a dark circular vignette
  and a few hairs crossing the field;
* one pigmented lesion near the centre. Benign lesions are round-ish and of
  a uniform brown; malignant ones follow the ABC rule of thumb of
  dermoscopy: Asymmetric, with an irregular Border and several Colours
  (dark blotches, blue-grey and reddish areas). Their masks are therefore
  less convex and their pixels more varied, which the tests measure;
* image sizes drawn from typical camera resolutions (paper Table II: median
  3024x2016) multiplied by ``scale``, so the long side is 256-384 px at the
  default 0.1.

The files are written exactly as the challenge archives unpack (see
``OFFICIAL_LAYOUTS``): JPEG images, 0/255 PNG masks, the Part 3 ground-truth
CSV in the official format and, for ISIC 2017, superpixel PNGs beside the
images. The same seed gives byte-identical files.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Sequence, Tuple, Union

import cv2
import numpy as np

from mmskin.utils import ISIC_CLASSES, write_image_atomic, write_text_atomic
from .conversion import OFFICIAL_LAYOUTS

#: Native (width, height) of the generated images and their relative weights:
#: common dermoscopy camera resolutions around paper Table II's median.
NATIVE_SIZES: Tuple[Tuple[Tuple[int, int], float], ...] = (
    ((3024, 2016), 0.35), ((3008, 2000), 0.15), ((2592, 1936), 0.15), ((2816, 2112), 0.1),
    ((3264, 2448), 0.1), ((3840, 2560), 0.05), ((2848, 2848), 0.05), ((2016, 3024), 0.05))

#: Which official split each role of :func:`generate_isic_layout` fills.
SPLIT_ROLES: Dict[str, Dict[str, str]] = {
    'isbi2016': {'train': 'Training', 'test': 'Test'},
    'isic2017': {'train': 'Training', 'val': 'Validation', 'test': 'Test_v2'},
}

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

_JPEG_QUALITY = 92
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


def _imwrite(path: Path, image: np.ndarray, params: Sequence[int] = ()) -> None:
    """Write a greyscale or RGB uint8 image (OpenCV wants BGR)."""
    if image.ndim == 3:
        image = np.ascontiguousarray(image[..., ::-1])
    write_image_atomic(path, image, params)


def _split_labels(seed: int, split_index: int, num_images: int,
                  malignant_fraction: float) -> np.ndarray:
    """Shuffled 0/1 labels with ``round(fraction * n)`` malignant.

    With 2 or more images and 0 < fraction < 1 both classes are present.
    """
    num_malignant = round(malignant_fraction * num_images)
    if num_images >= 2 and 0 < malignant_fraction < 1:
        num_malignant = min(max(num_malignant, 1), num_images - 1)
    labels = np.arange(num_images) < num_malignant
    return np.random.default_rng([seed, split_index]).permutation(labels).astype(int)


def _write_label_csv(path: Path, layout: str, split: str, labels: Dict[str, int]) -> None:
    """The Part 3 ground truth in the official format of ``layout``."""
    if layout == 'isic2017':
        lines = ['image_id,melanoma,seborrheic_keratosis']
        lines += [f'{isic_id},{label:.1f},0.0' for isic_id, label in labels.items()]
    elif split == 'Training':
        lines = [f'{isic_id},{ISIC_CLASSES[label]}' for isic_id, label in labels.items()]
    else:
        lines = [f'{isic_id},{label:.1f}' for isic_id, label in labels.items()]
    write_text_atomic(path, '\n'.join(lines) + '\n')


def generate_isic_layout(out_dir: Union[str, os.PathLike], layout: str = 'isbi2016',
                         num_train: int = 60, num_val: int = 0, num_test: int = 30,
                         seed: int = 0, scale: float = 0.1,
                         malignant_fraction: float = 0.3) -> Dict[str, Dict[str, int]]:
    """Write a synthetic ISIC release in its official on-disk layout.

    Images are numbered ``ISIC_0000000`` upwards through training, validation
    and test. Every image has its own random stream derived from ``seed``,
    its split and its index, so the same arguments give byte-identical files.
    A split with no images is not written.

    Args:
        out_dir: folder to write into (created if needed).
        layout: ``isbi2016`` (Training, Test) or ``isic2017`` (Training,
            Validation, Test_v2).
        num_train, num_val, num_test: images per split; ``isbi2016`` has no
            validation split, so ``num_val`` must be 0 there.
        seed: random seed.
        scale: factor applied to the native sizes in ``NATIVE_SIZES``.
        malignant_fraction: share of malignant images in each split.

    Returns:
        ``{split: {isic_id: label}}``, label 0 benign, 1 malignant.
    """
    if layout not in SPLIT_ROLES:
        raise ValueError(f'unknown layout {layout!r}; expected one of {", ".join(SPLIT_ROLES)}')
    roles = SPLIT_ROLES[layout]
    counts = dict(train=num_train, val=num_val, test=num_test)
    if counts['val'] and 'val' not in roles:
        raise ValueError(f'{layout} has no validation split; set num_val to 0')
    if min(counts.values()) < 0 or seed < 0 or not 0 <= malignant_fraction <= 1:
        raise ValueError('image counts and seed must be >= 0, malignant_fraction in [0, 1]')
    if min(min(size) for size, _ in NATIVE_SIZES) * scale < 32:
        raise ValueError(f'scale {scale} makes images smaller than 32 px')
    spec = OFFICIAL_LAYOUTS[layout]
    out_dir = Path(out_dir)
    sizes = [size for size, _ in NATIVE_SIZES]
    weights = np.array([weight for _, weight in NATIVE_SIZES])
    written: Dict[str, Dict[str, int]] = {}
    next_id = 0
    for split_index, (role, split) in enumerate(roles.items()):
        if not counts[role]:
            continue
        image_dir = out_dir / spec.image_dir.format(split=split)
        mask_dir = out_dir / spec.mask_dir.format(split=split)
        image_dir.mkdir(parents=True, exist_ok=True)
        mask_dir.mkdir(parents=True, exist_ok=True)
        labels = _split_labels(seed, split_index, counts[role], malignant_fraction)
        written[split] = {}
        for index, label in enumerate(labels):
            rng = np.random.default_rng([seed, split_index, index])
            native = sizes[rng.choice(len(sizes), p=weights / weights.sum())]
            width, height = (max(1, round(side * scale)) for side in native)
            image, mask = render_dermoscopy(rng, width, height, bool(label))
            isic_id = f'ISIC_{next_id:07d}'
            next_id += 1
            _imwrite(image_dir / f'{isic_id}.jpg', image, (cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY))
            _imwrite(mask_dir / f'{isic_id}{spec.mask_suffix}', mask.astype(np.uint8) * 255)
            if layout == 'isic2017':
                _imwrite(image_dir / f'{isic_id}_superpixels.png', superpixel_map(width, height))
            written[split][isic_id] = int(label)
        _write_label_csv(out_dir / spec.label_csv.format(split=split), layout, split,
                         written[split])
    return written
