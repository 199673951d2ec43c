"""What a lesion is to every part of mmskin: its classes and its box."""
import numpy as np

#: Category names, in label order. Category ids in the COCO files are 1 and 2.
ISIC_CLASSES = ('benign', 'malignant')
#: Label of a lesion whose diagnosis is unknown (e.g. a test split whose labels
#: are private); its COCO annotation has :data:`UNKNOWN_CATEGORY_ID`.
UNKNOWN_LABEL = -1
#: COCO ``category_id`` of a lesion whose diagnosis is unknown: no category.
UNKNOWN_CATEGORY_ID = 0


def tight_box(mask: np.ndarray) -> np.ndarray:
    """The tightest box around the foreground of a binary mask.

    The paper (III-A) uses "a minimum rectangle box to cover the whole mask"
    as the detection label. Boxes are in pixel-edge coordinates
    ``(x0, y0, x1, y1)``: a mask whose foreground spans columns 3..7 gives
    ``x0 = 3, x1 = 8``, so width = ``x1 - x0`` counts pixels, as COCO's
    ``[x, y, w, h]`` does.

    Args:
        mask: array of shape (H, W); any non-zero value is foreground.

    Returns:
        float32 array ``[x0, y0, x1, y1]``, or all zeros for an empty mask.
    """
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    if ys.size == 0:
        return np.zeros(4, dtype=np.float32)
    return np.array([xs[0], ys[0], xs[-1] + 1, ys[-1] + 1], dtype=np.float32)
