"""The combined result drawn on the photo, as in paper Fig. 4.

Fig. 4 shows each output as "a probability of a certain class, a bounding
box covering the skin lesion and the specific segmentation area", with the
predicted contour in red and the ground-truth contour in black.
"""
from typing import Optional, Sequence

import cv2
import numpy as np

from mmskin.utils import ISIC_CLASSES

#: Contour colours of paper Fig. 4 (BGR): prediction red, ground truth black.
PRED_CONTOUR_BGR = (0, 0, 255)
GT_CONTOUR_BGR = (0, 0, 0)
#: Box and caption background (BGR): blue contrasts with skin, red and black.
BOX_BGR = (255, 96, 0)
_TEXT_BGR = (255, 255, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def lesion_caption(p_malignant: float, label: int, detected: bool = True) -> str:
    """The text of an overlay: the class and the probability of malignancy,
    e.g. ``'malignant  p(malignant)=0.87'``."""
    name = ISIC_CLASSES[label] if detected else 'no lesion detected'
    return f'{name}  p(malignant)={p_malignant:.2f}'


def _contours(mask: np.ndarray) -> Sequence[np.ndarray]:
    # RETR_LIST keeps the inner contours, so holes in a mask show.
    contours, _ = cv2.findContours(
        np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return contours


def _check_mask(name: str, mask: np.ndarray, shape: tuple) -> None:
    if mask.shape != shape:
        raise ValueError(f'{name} has shape {mask.shape}, expected the image size {shape}')


def draw_lesion_overlay(image: np.ndarray,
                        pred_mask: np.ndarray,
                        p_malignant: float,
                        label: int,
                        bbox: Optional[Sequence[float]] = None,
                        gt_mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Draw one image's lesion prediction in the style of paper Fig. 4.

    Line widths and text size grow with the image, so that ISIC photos of a
    few thousand pixels and small test images both stay legible.

    Args:
        image: BGR uint8 image (H, W, 3), not modified.
        pred_mask: predicted mask (H, W); non-zero is lesion. Its contour is
            drawn in red.
        p_malignant: the lesion's probability of malignancy.
        label: class index into ``ISIC_CLASSES`` (0 benign, 1 malignant).
        bbox: the lesion box ``(x0, y0, x1, y1)`` in pixel-edge coordinates,
            or None when nothing was detected (the caption then says so).
        gt_mask: optional ground-truth mask (H, W), boolean; its contour is
            drawn in black under the prediction.

    Returns:
        A new BGR uint8 image with the contours, the box and the caption.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be BGR uint8 (H, W, 3), got {image.dtype} {image.shape}')
    height, width = image.shape[:2]
    _check_mask('pred_mask', pred_mask, (height, width))
    canvas = image.copy()
    thickness = max(1, round(max(height, width) / 400))
    if gt_mask is not None:
        _check_mask('gt_mask', gt_mask, (height, width))
        cv2.drawContours(canvas, _contours(gt_mask), -1, GT_CONTOUR_BGR, thickness)
    cv2.drawContours(canvas, _contours(pred_mask), -1, PRED_CONTOUR_BGR, thickness)

    anchor = (0, 0)
    if bbox is not None:
        # Pixel-edge box: the last covered pixel is x1 - 1.
        x0, y0 = int(round(bbox[0])), int(round(bbox[1]))
        x1, y1 = int(round(bbox[2])) - 1, int(round(bbox[3])) - 1
        cv2.rectangle(canvas, (x0, y0), (x1, y1), BOX_BGR, thickness)
        anchor = (x0, y0)
    caption = lesion_caption(p_malignant, label, detected=bbox is not None)
    _draw_caption(canvas, caption, anchor, thickness)
    return canvas


def _draw_caption(canvas: np.ndarray, text: str, anchor: tuple, thickness: int) -> None:
    """White text on a filled box above ``anchor`` (the box's top-left corner),
    moved inside the image where it would leave it."""
    height, width = canvas.shape[:2]
    scale = 0.4 * thickness
    (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = thickness + 1
    box_w, box_h = text_w + 2 * pad, text_h + baseline + 2 * pad
    x = min(max(anchor[0], 0), max(width - box_w, 0))
    # Above the lesion box when there is room, else just inside its top.
    y = anchor[1] - box_h if anchor[1] >= box_h else min(max(anchor[1], 0), max(height - box_h, 0))
    cv2.rectangle(canvas, (x, y), (x + box_w - 1, y + box_h - 1), BOX_BGR, cv2.FILLED)
    cv2.putText(canvas, text, (x + pad, y + pad + text_h), _FONT, scale, _TEXT_BGR, thickness,
                cv2.LINE_AA)
