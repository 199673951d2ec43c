"""Synthetic dermoscopy images written in the official ISIC layouts.

The ISIC archives cannot be downloaded everywhere (tests, offline demos), so
this module draws lesion images that look enough like dermoscopy for the
whole pipeline to run and for a small network to learn something:

* a skin-toned photo with one pigmented lesion, drawn by
  :func:`mmskin.datasets.synthetic_render.render_dermoscopy` (malignant
  lesions follow dermoscopy's ABC rule of thumb);
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
from .synthetic_render import render_dermoscopy, superpixel_map

_JPEG_QUALITY = 92

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
