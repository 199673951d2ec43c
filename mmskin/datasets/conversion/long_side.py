"""A copy of a converted split with the long side of every image at most L.

ISIC archive JPEGs are 1000-6000 px and the training pipeline resizes them
to a long side of 1024 (paper II-A-1) on every epoch; decoding a 6000 x 4500
JPEG costs far more than the rest of the pipeline. :func:`resize_split`
does that resize once: each image whose long side exceeds ``long_side`` is
rescaled exactly as mmdet's ``Resize(scale=(L, L), keep_ratio=True)`` does
(``mmcv.imrescale``, bilinear, and ``BitmapMasks.rescale``, nearest, for the
mask) and written as JPEG quality 95 by default (``'bmp'`` and ``'png'``
are lossless); its annotation gets the rescaled mask as RLE, the tight box of
that mask and its area. Images no larger are referenced where they are. The
training pipeline keeps its ``Resize``, which on the copy is an exact no-op
(same size): the masks are those of resizing at load time, and so are the
pixels with a lossless format.

Testing stays on the original files: the ISIC metrics are defined at the
original resolution.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path, PurePosixPath
from typing import List, Tuple

import cv2
import mmcv
import numpy as np
from mmdet.structures.mask import BitmapMasks
from tqdm import tqdm

from mmskin.utils import (ISICFileError, check_output_file, check_output_folder,
                          decode_segmentation, dump_json_atomic, mask_to_annotation,
                          read_lesion_coco, write_image_atomic)
from mmskin.utils.isic_files import PathLike

#: formats of the resized copies: name -> (suffix, OpenCV encoding parameters).
#: Decoding a 1024 x 768 copy on one core (benchmarks/resized_copy_loading.py): JPEG
#: ~17 ms (0.15 MB), BMP ~4 ms (2.4 MB), PNG ~90 ms (0.8 MB); a 4500 px
#: original JPEG ~400 ms.
IMAGE_FORMATS = {
    'jpg': ('.jpg', (cv2.IMWRITE_JPEG_QUALITY, 95)),  # small; re-encoding changes pixels a little
    'bmp': ('.bmp', ()),  # lossless, fastest, large
    'png': ('.png', (cv2.IMWRITE_PNG_COMPRESSION, 3)),  # lossless, slow to decode
}


@dataclass
class ResizeSummary:
    """What :func:`resize_split` wrote."""

    out_file: Path
    resized: int
    kept: int

    def __str__(self) -> str:
        return (f'{self.out_file}: {self.resized + self.kept} images, {self.resized} resized, '
                f'{self.kept} already small enough and referenced in place')


def _resize_one(task: Tuple[dict, List[dict], str, str, int, str]):
    """Rescale one image and its annotations (pool worker); returns the new
    image entry and annotations, or the :class:`ISICFileError`."""
    image_info, annotations, data_root, img_dir, long_side, image_format = task
    path = Path(data_root) / image_info['file_name']
    width, height = image_info['width'], image_info['height']
    if max(width, height) <= long_side:
        return image_info, annotations, False
    image = mmcv.imread(str(path), flag='color_ignore_orientation')
    if image is None:
        return ISICFileError(path, 'cannot be decoded as an image')
    if image.shape[:2] != (height, width):
        return ISICFileError(path, f'image is {image.shape[1]}x{image.shape[0]} but the '
                             f'annotation file says {width}x{height}')
    scale = (long_side, long_side)
    resized = mmcv.imrescale(image, scale, interpolation='bilinear', backend='cv2')
    new_h, new_w = resized.shape[:2]
    suffix, params = IMAGE_FORMATS[image_format]
    file_name = str(PurePosixPath(img_dir) / PurePosixPath(image_info['file_name']).with_suffix(
        suffix))
    write_image_atomic(Path(data_root) / file_name, resized, params)
    new_annotations = []
    for annotation in annotations:
        try:
            mask = decode_segmentation(annotation['segmentation'], height, width,
                                       path).astype(np.uint8)
        except (KeyError, TypeError, ValueError) as err:
            return ISICFileError(path, f'annotation {annotation.get("id")}: unreadable '
                                 f'segmentation ({err})')
        mask = BitmapMasks(mask[None], height, width).rescale(scale).masks[0]
        new = copy.deepcopy(annotation)
        new.update(mask_to_annotation(mask))
        new_annotations.append(new)
    new_info = dict(image_info, file_name=file_name, width=new_w, height=new_h,
                    original=dict(file_name=image_info['file_name'], width=width,
                                  height=height))
    return new_info, new_annotations, True


def resize_split(data_root: PathLike, ann_file: PathLike, out_file: PathLike, img_dir: str,
                 long_side: int = 1024, image_format: str = 'jpg', nproc: int = 1,
                 progress: bool = True) -> ResizeSummary:
    """Write the long-side-``long_side`` copy of a converted split.

    Args:
        data_root: the split's ``data_root``; ``file_name`` in the annotation
            file is relative to it, and so is everything written.
        ann_file: the COCO file of the split (from the ISIC converter).
        out_file: the new COCO file, written atomically.
        img_dir: folder under ``data_root`` for the resized images; each keeps
            its path relative to ``data_root`` below it.
        long_side: the training pipeline's ``Resize`` scale.
        image_format: a key of :data:`IMAGE_FORMATS`: ``'jpg'`` (quality
            95: small files, fast to decode, pixels within a few grey levels
            of resizing at load time), ``'bmp'`` or ``'png'`` (lossless: the
            pixels ``Resize`` gives at load time).
        nproc: worker processes.

    Raises:
        ISICFileError: an unreadable or inconsistent annotation file
            (:func:`mmskin.utils.read_lesion_coco`), an unreadable image, an
            image whose size is not the annotation file's, or an output that
            would replace the split's annotation file or images
            (:mod:`mmskin.utils.output_paths`).
    """
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f'image_format must be one of {sorted(IMAGE_FORMATS)}, '
                         f'got {image_format!r}')
    if long_side < 1:
        raise ValueError(f'long_side must be positive, got {long_side}')
    data_root, ann_path = Path(data_root), Path(ann_file)
    if not ann_path.is_absolute() and not ann_path.is_file():
        ann_path = data_root / ann_path
    coco = read_lesion_coco(ann_path).coco
    images, all_annotations = coco['images'], coco['annotations']
    # The copies never replace the split: its annotation file, its images.
    sources = [ann_path, *sorted({str(data_root / info.get('file_name', '')) for info in images})]
    check_output_file(out_file, '--out', sources)
    check_output_folder(data_root / img_dir, '--img-dir', sources)
    by_image = {}
    for annotation in all_annotations:
        by_image.setdefault(annotation['image_id'], []).append(annotation)
    tasks = [(info, by_image.get(info['id'], []), str(data_root), img_dir, long_side,
              image_format) for info in images]
    results = []
    with tqdm(total=len(tasks), desc=f'resizing {ann_path.name}', unit='img',
              disable=not progress) as bar:
        if nproc <= 1:
            iterator = map(_resize_one, tasks)
        else:
            pool = Pool(nproc)
            iterator = pool.imap(_resize_one, tasks, chunksize=4)
        try:
            for result in iterator:
                if isinstance(result, ISICFileError):
                    raise result
                results.append(result)
                bar.update()
        finally:
            if nproc > 1:
                pool.terminate()
    out = dict(coco, images=[info for info, _, _ in results],
               annotations=[a for _, anns, _ in results for a in anns])
    out.setdefault('info', {})
    out['info'] = dict(out['info'], long_side=long_side, source=str(ann_file))
    dump_json_atomic(out, out_file)
    resized = sum(1 for _, _, was_resized in results if was_resized)
    return ResizeSummary(Path(out_file), resized, len(results) - resized)
