"""The Dice ablation of the segment subnet's loss: per-pixel BCE plus Dice
distance, per RoI (paper Tables III and VI, "DL")."""
from mmdet.registry import MODELS
from torch import Tensor

from .utils import RoIMaskLoss, dice_distance, roi_binary_cross_entropy


@MODELS.register_module()
class BCEDiceLoss(RoIMaskLoss):
    """Per-pixel BCE plus Dice distance, per RoI (the "DL" ablation).

    ``L = BCE + dice_weight * (1 - (2 sum(y t) + s) / (sum(y) + sum(t) + s))``
    for each positive RoI, sums over its ``m x m`` grid, then reduced over
    RoIs. It is the Dice counterpart of Eq. (5) (paper Tables III and VI).
    Drop-in for FCNMaskHead's ``loss_mask``::

        loss_mask=dict(type='BCEDiceLoss', smooth=1.0, loss_weight=1.0)

    Args:
        smooth (float): Dice smoothing ``s``. Defaults to 1.0.
        dice_weight (float): Weight of the Dice term relative to BCE.
            Defaults to 1.0.
        reduction (str): 'none', 'mean' or 'sum' over RoIs. Defaults to 'mean'.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
    """

    def __init__(self,
                 smooth: float = 1.0,
                 dice_weight: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)
        self.smooth = smooth
        self.dice_weight = dice_weight

    def roi_loss(self, logits: Tensor, target: Tensor) -> Tensor:
        """BCE plus weighted Dice distance of each RoI."""
        return roi_binary_cross_entropy(logits, target) + self.dice_weight * dice_distance(
            logits.sigmoid(), target, self.smooth)
