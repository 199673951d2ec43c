"""Drawing of lesion predictions (paper Fig. 4) and of their saliency maps."""
from .lesion_overlay import (BOX_BGR, GT_CONTOUR_BGR, PRED_CONTOUR_BGR, draw_lesion_overlay,
                             lesion_caption)
from .saliency_overlay import HEAT_ALPHA, draw_saliency

__all__ = [
    'BOX_BGR', 'GT_CONTOUR_BGR', 'PRED_CONTOUR_BGR', 'draw_lesion_overlay', 'lesion_caption',
    'HEAT_ALPHA', 'draw_saliency'
]
