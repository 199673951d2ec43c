"""Losses of Song et al. (IEEE JBHI 2020), Sec. II-C: the focal loss of
Eq. (2) and the BCE + Jaccard mask loss of Eq. (5), plus the Dice variant
used in the ablations."""
from .dice_loss import BCEDiceLoss  # registers BCEDiceLoss
from .focal_loss import SkinFocalLoss  # registers SkinFocalLoss
from .jaccard_loss import BCEJaccardLoss, jaccard_distance  # registers BCEJaccardLoss
from .utils import dice_distance

__all__ = [
    'SkinFocalLoss', 'BCEJaccardLoss', 'BCEDiceLoss', 'jaccard_distance',
    'dice_distance'
]
