"""Per-RoI mask loss helpers shared by the Jaccard loss of Eq. (5) and the
Dice ablation (paper Tables III and VI, "DL", "FL+JL+DL").

The segment subnet predicts an ``m x m`` logit map per positive RoI (``m = 28``
in Mask R-CNN). Every term here is computed per RoI over that RoI's own
``m x m`` target grid, giving one value per RoI, and only then reduced over
RoIs (see :func:`reduce_roi_loss`).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor

REDUCTIONS = (None, 'none', 'mean', 'sum')


def select_roi_logits(pred: Tensor, target: Tensor, label: Tensor) -> Tensor:
    """Pick, for every RoI, the mask logits of its class.

    Mirrors mmdet's ``mask_cross_entropy``: a class-specific mask head outputs
    one channel per class and the RoI's ground-truth label picks the channel;
    a class-agnostic head has a single channel, used whatever the label.

    Args:
        pred (Tensor): Mask logits, shape (N, C, m, m).
        target (Tensor): Binary mask targets, shape (N, m, m).
        label (Tensor): Class label of each RoI, shape (N,), in [0, C).

    Returns:
        Tensor: Logits of shape (N, m, m).

    Raises:
        ValueError: If the three shapes do not fit together.
    """
    if pred.dim() != 4:
        raise ValueError('mask loss: `pred` must be mask logits of shape '
                         f'(N, C, m, m), got {tuple(pred.shape)}')
    num_rois, num_channels = pred.shape[:2]
    if target.shape != (num_rois, *pred.shape[2:]):
        raise ValueError(
            f'mask loss: `target` must have shape {(num_rois, *pred.shape[2:])} '
            f'to match `pred` {tuple(pred.shape)}, got {tuple(target.shape)}')
    if label.shape != (num_rois, ):
        raise ValueError(f'mask loss: `label` must have shape ({num_rois},), '
                         f'got {tuple(label.shape)}')
    if num_channels == 1:
        return pred[:, 0]
    return pred[torch.arange(num_rois, device=pred.device), label.long()]


def roi_binary_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Mean per-pixel binary cross-entropy of each RoI (Eq. (5), first term).

    ``-1/m^2 * sum_ij [t_ij log y_ij + (1 - t_ij) log(1 - y_ij)]`` with
    ``y = sigmoid(logits)``, computed from the logits so that saturated
    predictions keep finite values and gradients.

    Args:
        logits (Tensor): Mask logits, shape (N, m, m).
        target (Tensor): Targets in [0, 1], shape (N, m, m).

    Returns:
        Tensor: Shape (N,).
    """
    bce = F.binary_cross_entropy_with_logits(
        logits, target.to(logits.dtype), reduction='none')
    return bce.flatten(1).mean(dim=1)


def dice_distance(prob: Tensor, target: Tensor, smooth: float = 1.0) -> Tensor:
    """Dice distance of each RoI: ``1 - (2 sum(y t) + s) / (sum(y) + sum(t) + s)``.

    The sums run over the RoI's whole ``m x m`` grid (soft Dice: ``y`` is the
    sigmoid probability, not a binarised mask), so each RoI is scored on its
    own overlap whatever its lesion area.

    Args:
        prob (Tensor): Foreground probabilities, shape (N, m, m).
        target (Tensor): Targets in [0, 1], shape (N, m, m).
        smooth (float): The additive smoothing ``s``; keeps an empty target
            with an empty prediction at distance 0. Defaults to 1.0.

    Returns:
        Tensor: Shape (N,), in [0, 1].
    """
    prob = prob.flatten(1)
    target = target.flatten(1).to(prob.dtype)
    intersection = (prob * target).sum(dim=1)
    total = prob.sum(dim=1) + target.sum(dim=1)
    return 1 - (2 * intersection + smooth) / (total + smooth)


def reduce_roi_loss(loss: Tensor,
                    weight: Optional[Tensor] = None,
                    reduction: str = 'mean',
                    avg_factor: Optional[float] = None) -> Tensor:
    """Weight and reduce a per-RoI loss of shape (N,) as mmdet does.

    Same as mmdet's ``weight_reduce_loss``, except that zero RoIs with
    ``reduction='mean'`` give a zero (still attached to the graph, so DDP
    sees every parameter used) instead of the NaN of an empty mean: a
    batch without positive RoIs must not poison the total loss.

    Args:
        loss (Tensor): Per-RoI loss, shape (N,).
        weight (Tensor, optional): Per-RoI weight, shape (N,).
        reduction (str): 'none', 'mean' or 'sum'.
        avg_factor (float, optional): Divides the sum instead of N when
            ``reduction='mean'``.

    Returns:
        Tensor: Shape (N,) for 'none', else a scalar.
    """
    if weight is not None and weight.shape != loss.shape:
        raise ValueError(f'mask loss: `weight` must have one value per RoI, '
                         f'shape {tuple(loss.shape)}, got {tuple(weight.shape)}')
    if loss.numel() == 0 and reduction == 'mean' and avg_factor is None:
        return loss.sum()
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


class RoIMaskLoss(nn.Module):
    """Base of the per-RoI mask losses: FCNMaskHead's ``loss_mask`` contract.

    ``forward`` picks each RoI's class channel (:func:`select_roi_logits`),
    asks the subclass for one loss value per RoI (:meth:`roi_loss`) and
    reduces them over RoIs (:func:`reduce_roi_loss`), times ``loss_weight``.

    Args:
        reduction (str): 'none', 'mean' or 'sum' over RoIs. Defaults to 'mean'.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in REDUCTIONS[1:]:
            raise ValueError(f'{type(self).__name__}: `reduction` must be one of '
                             f"'none', 'mean', 'sum', got {reduction!r}")
        self.reduction = reduction
        self.loss_weight = loss_weight

    def roi_loss(self, logits: Tensor, target: Tensor) -> Tensor:
        """The loss of each RoI, shape (N,), from logits and targets (N, m, m)."""
        raise NotImplementedError

    def forward(self,
                pred: Tensor,
                target: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Mask logits, shape (N, C, m, m).
            target (Tensor): Binary mask targets, shape (N, m, m).
            label (Tensor): Class label of each RoI, shape (N,); picks the
                channel of ``pred`` (ignored when C == 1).
            weight (Tensor, optional): Per-RoI weight, shape (N,).
            avg_factor (float, optional): Divides the summed loss instead of N.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The loss, float32 (also under autocast); shape (N,) for
            reduction 'none'.
        """
        assert reduction_override in REDUCTIONS
        reduction = reduction_override or self.reduction
        # At least float32 whatever the autocast dtype: the soft overlap sums of
        # Eq. (5) run over 784 pixels per RoI.
        logits = select_roi_logits(pred, target, label)
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        loss = self.roi_loss(logits, target)
        return self.loss_weight * reduce_roi_loss(loss, weight, reduction, avg_factor)
