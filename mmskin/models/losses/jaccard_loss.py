"""The segment subnet's loss of the paper: per-pixel BCE plus a smoothed
Jaccard distance, Eq. (5) of Song et al. (IEEE JBHI 2020, Sec. II-C-2)."""
from mmdet.registry import MODELS
from torch import Tensor

from .utils import RoIMaskLoss, dice_distance, roi_binary_cross_entropy


def jaccard_distance(prob: Tensor, target: Tensor, delta: float = 100.0) -> Tensor:
    """Smoothed Jaccard distance of each RoI, the second term of Eq. (5).

    ``delta * (1 - (sum(y t) + delta) / (sum(y + t - y t) + delta))`` with
    ``y`` the sigmoid probability and ``t`` the target. This is the Keras
    ``jaccard_distance(y_true, y_pred, smooth=100)`` form the paper cites,
    with one difference: that Keras function sums over the last axis only
    (one mask row), whereas Eq. (5) indexes the whole grid,
    ``1 <= i, j <= m``, so the sums here run over all ``m x m`` pixels of
    the RoI.

    The distance equals ``delta * (U - I) / (U + delta)`` for soft union ``U``
    and intersection ``I``: close to ``delta * (1 - I / U)`` when ``U >> delta``
    and to the soft count of mismatched pixels ``U - I`` when ``U << delta``.
    On a 28 x 28 RoI it can reach ``100 * 784 / 884 ~ 88``, so with
    ``delta = 100`` it can outweigh the BCE term by two orders of magnitude:
    delta is a weight as much as a smoothing constant.

    Args:
        prob (Tensor): Foreground probabilities, shape (N, m, m).
        target (Tensor): Targets in [0, 1], shape (N, m, m).
        delta (float): The paper's smooth factor. Defaults to 100.0.

    Returns:
        Tensor: Shape (N,), in [0, delta).
    """
    prob = prob.flatten(1)
    target = target.flatten(1).to(prob.dtype)
    intersection = (prob * target).sum(dim=1)
    union = (prob + target - prob * target).sum(dim=1)
    return delta * (1 - (intersection + delta) / (union + delta))


@MODELS.register_module()
class BCEJaccardLoss(RoIMaskLoss):
    """Eq. (5): per-pixel BCE plus ``delta`` x Jaccard distance, per RoI.

    For each positive RoI, with ``y`` its predicted mask probabilities and
    ``t`` its binary target on the ``m x m`` grid (``m = 28``)::

        L = mean_ij BCE(y_ij, t_ij)
            + jaccard_weight * delta * (1 - (sum(y t) + delta) / (sum(y + t - y t) + delta))
            + dice_weight * (1 - (2 sum(y t) + 1) / (sum(y) + sum(t) + 1))

    Every sum runs over that RoI's own ``m x m`` target grid (the indices
    ``1 <= i, j <= m`` of Eq. (5)), giving one value per RoI, which is then
    reduced over RoIs (mean by default). Per RoI rather than pooled over
    the batch so that a small lesion's overlap counts as much as a large
    one's instead of being swamped by the pixels of large RoIs.

    The Dice term (off by default) gives the "FL+JL+DL" ablation of paper
    Tables III and VI. Drop-in for FCNMaskHead's ``loss_mask``::

        loss_mask=dict(type='BCEJaccardLoss', delta=100.0, loss_weight=1.0)

    Args:
        delta (float): Smooth factor of the Jaccard term. Defaults to 100.0.
        jaccard_weight (float): Weight of the Jaccard term. Defaults to 1.0.
        dice_weight (float): Weight of the Dice distance term (smoothing 1).
            Defaults to 0.0.
        reduction (str): 'none', 'mean' or 'sum' over RoIs. Defaults to 'mean'.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
    """

    def __init__(self,
                 delta: float = 100.0,
                 jaccard_weight: float = 1.0,
                 dice_weight: float = 0.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)
        if delta <= 0:
            raise ValueError(f'BCEJaccardLoss: `delta` must be > 0, got {delta}')
        self.delta = delta
        self.jaccard_weight = jaccard_weight
        self.dice_weight = dice_weight

    def roi_loss(self, logits: Tensor, target: Tensor) -> Tensor:
        """Eq. (5) of each RoI, plus the optional Dice term."""
        prob = logits.sigmoid()
        loss = roi_binary_cross_entropy(logits, target)
        if self.jaccard_weight:
            loss = loss + self.jaccard_weight * jaccard_distance(prob, target, self.delta)
        if self.dice_weight:
            loss = loss + self.dice_weight * dice_distance(prob, target)
        return loss
