"""Drawing of lesion predictions (paper Fig. 4)."""
from .lesion_overlay import (BOX_BGR, GT_CONTOUR_BGR, PRED_CONTOUR_BGR, draw_lesion_overlay,
                             lesion_caption)

__all__ = [
    'BOX_BGR', 'GT_CONTOUR_BGR', 'PRED_CONTOUR_BGR', 'draw_lesion_overlay', 'lesion_caption'
]
