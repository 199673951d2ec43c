"""The galleries of the run report: each photo drawn at gallery size with its
Fig. 4 overlay (and its saliency map), the cases each gallery shows."""
import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional

import cv2
import numpy as np

from mmskin.evaluation.functional import positive_class_scores
from mmskin.utils import (ISICFileError, index_masks, list_images, mask_file_name, read_image,
                          read_mask, read_prediction_mask)
from .lesion_overlay import draw_lesion_overlay
from .saliency_overlay import draw_saliency

#: Photos shown in each gallery by default.
GALLERY_SIZE = 24
#: Long side of a gallery photo, in pixels.
THUMBNAIL_SIDE = 320

GtMaskLoader = Callable[[str], Optional[np.ndarray]]
#: A photo (BGR uint8) -> its saliency map (float (H, W) in [0, 1]).
Saliency = Callable[[np.ndarray], np.ndarray]


def data_uri(data: bytes, mime: str) -> str:
    return f'data:{mime};base64,{base64.b64encode(data).decode("ascii")}'


def find_images(img_dir: str, image_ids: Iterable[str]) -> Dict[str, Path]:
    """``image_id -> photo`` for the ids that have a photo ``IMG_DIR/<id>.<suffix>``
    (:data:`mmskin.utils.IMAGE_SUFFIXES`); ISICFileError when the folder is
    missing or holds none of them."""
    folder = Path(img_dir)
    if not folder.is_dir():
        raise ISICFileError(folder, 'image folder does not exist')
    wanted = set(image_ids)
    try:
        found = {path.stem: path for path in list_images(folder) if path.stem in wanted}
    except ISICFileError:  # no image at all
        found = {}
    if not found:
        raise ISICFileError(folder, 'no photo named <image_id>.<jpg, png, ...> of the run')
    return found


def folder_gt_masks(gt_dir: str) -> GtMaskLoader:
    """Ground-truth masks from an ISIC folder (``_segmentation.png`` or
    ``_Segmentation.png``); None for an image without one."""
    masks = index_masks(Path(gt_dir), 'ground-truth')
    return lambda image_id: (read_mask(masks[image_id])
                             if image_id in masks else None)


@dataclass
class GalleryCase:
    """One photo of a gallery and the per-image numbers its caption shows."""

    image_id: str
    gt_label: int
    pred_label: int
    p_malignant: float
    ja: float
    detected: bool
    image: Optional[str]
    note: str = ''
    cam: Optional[str] = None


def _thumbnail_size(image: np.ndarray) -> tuple:
    """``(scale, (width, height))`` of an image drawn at gallery size."""
    height, width = image.shape[:2]
    scale = THUMBNAIL_SIDE / max(height, width)
    return scale, (max(1, round(width * scale)), max(1, round(height * scale)))


def _resize(image: np.ndarray, scale: float, size: tuple) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _jpeg_uri(image: np.ndarray) -> str:
    _, encoded = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data_uri(encoded.tobytes(), 'image/jpeg')


def _saliency_thumbnail(image: np.ndarray, cam: np.ndarray) -> str:
    """The saliency map drawn at gallery size, as a JPEG data URI."""
    scale, size = _thumbnail_size(image)
    return _jpeg_uri(draw_saliency(_resize(image, scale, size),
                                   np.clip(_resize(cam, scale, size), 0.0, 1.0)))


def _overlay_thumbnail(image: np.ndarray, pred_mask: np.ndarray, case: 'GalleryCase',
                       box: Optional[List[float]], gt_mask: Optional[np.ndarray]) -> str:
    """The Fig. 4 overlay drawn at gallery size (so lines and caption have the
    same size on every photo), as a JPEG data URI."""
    scale, size = _thumbnail_size(image)
    image = _resize(image, scale, size)

    def resize_mask(mask):
        return cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0

    overlay = draw_lesion_overlay(
        image, resize_mask(pred_mask), case.p_malignant, case.pred_label,
        None if box is None else [v * scale for v in box],
        None if gt_mask is None else resize_mask(gt_mask))
    return _jpeg_uri(overlay)


def gallery_case(row: int, per_image: Mapping[str, np.ndarray], run_dir: Path,
                 image_paths: Mapping[str, Path], gt_mask: Optional[GtMaskLoader],
                 cams: Dict[str, Optional[str]], saliency: Optional[Saliency]) -> GalleryCase:
    """One photo of a gallery; its saliency drawing is kept in ``cams`` by
    image id, since a photo can be in several galleries."""
    image_id = str(per_image['image_id'][row])
    case = GalleryCase(image_id, int(per_image['gt_label'][row]),
                       int(per_image['pred_label'][row]), float(per_image['p_malignant'][row]),
                       float(per_image['JA'][row]), bool(per_image['detected'][row]), None)
    if image_id not in image_paths:
        case.note = 'photo not found'
        return case
    try:
        image = read_image(image_paths[image_id])  # as stored, as the masks are drawn
    except ISICFileError:
        case.note = f'{image_paths[image_id].name} cannot be decoded'
        return case
    mask_path = run_dir / 'masks' / mask_file_name(image_id)
    if not mask_path.is_file():
        case.note = f'no predicted mask {mask_path.name}'
        return case
    pred_mask, _ = read_prediction_mask(mask_path, image.shape[:2])
    box = [float(per_image[k][row]) for k in ('x0', 'y0', 'x1', 'y1')] if case.detected else None
    truth = gt_mask(image_id) if gt_mask else None
    if truth is not None and truth.shape != pred_mask.shape:
        case.note, truth = 'ground-truth mask of another size: not drawn', None
    case.image = _overlay_thumbnail(image, pred_mask, case, box, truth)
    if saliency is not None:
        if image_id not in cams:
            # A map that cannot be made is noted on its photo: the report
            # is part of a run's output, which must not be lost for it.
            try:
                cams[image_id] = _saliency_thumbnail(image, saliency(image))
            except ValueError as error:
                cams[image_id] = None
                case.note = f'no saliency map: {error}'
        case.cam = cams[image_id]
    return case


def misclassified(per_image: Mapping[str, np.ndarray], threshold: float = 0.5) -> Dict[str, list]:
    """Rows of the false negatives (malignant called benign, lowest
    ``p_malignant`` first) and false positives (benign called malignant,
    highest first) of ``p_malignant > threshold``."""
    labelled = np.flatnonzero(per_image['gt_label'] >= 0)
    is_malignant, p = positive_class_scores(per_image['gt_label'][labelled],
                                            per_image['p_malignant'][labelled])
    called = p > threshold
    false_negatives = labelled[is_malignant & ~called]
    false_positives = labelled[~is_malignant & called]
    p_all = per_image['p_malignant']
    return dict(false_negatives=false_negatives[np.argsort(p_all[false_negatives],
                                                           kind='stable')].tolist(),
                false_positives=false_positives[np.argsort(-p_all[false_positives],
                                                           kind='stable')].tolist())
