"""The paper's focal loss, Eq. (2) of Song et al. (IEEE JBHI 2020, Sec. II-C-1).

``L = -alpha * [(1 - p)^beta * y * log p + p^beta * (1 - y) * log(1 - p)]``
with ``alpha = 0.25`` and ``beta = 2``. Unlike RetinaNet's focal loss, which
weights positives by ``alpha`` and negatives by ``1 - alpha``, the paper scales
*both* terms by the same ``alpha``. :class:`SkinFocalLoss` is used by the RPN
(sigmoid form) and by the classify subnet (softmax form). How the paper's RPN
weight rho of Eq. (1) maps onto mmdet is in docs/model.md.

RPN labels
----------
``TwoStageDetector.loss`` sets every ground-truth label to 0 before the RPN,
and ``AnchorHead._get_targets_single`` fills unassigned and negative anchors
with ``num_classes`` (1 for the RPN). So with a single sigmoid channel
label 0 is foreground (``y = 1``) and label 1 is background (``y = 0``), the
same one-hot-then-drop-background reading as mmdet's ``FocalLoss``.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS
from torch import Tensor


def sigmoid_skin_focal_loss(pred: Tensor,
                            target: Tensor,
                            alpha: float = 0.25,
                            beta: float = 2.0) -> Tensor:
    """Element-wise Eq. (2) on logits, one binary problem per channel.

    Args:
        pred (Tensor): Logits, shape (N, C).
        target (Tensor): Class labels, shape (N,), in [0, C]; label ``c < C``
            makes channel ``c`` positive, label ``C`` is background (all
            channels negative), as in mmdet's sigmoid heads.
        alpha (float): Scale of both terms. Defaults to 0.25.
        beta (float): Focusing exponent. Defaults to 2.0.

    Returns:
        Tensor: Loss of shape (N, C).
    """
    num_channels = pred.size(1)
    y = F.one_hot(target.long(), num_channels + 1)[:, :num_channels].to(pred.dtype)
    # log p and log(1 - p) as log-sigmoids, and the modulating factors as
    # exp(beta * log ...), so that logits of +-50 and beta < 1 keep finite
    # values and gradients (pow at 0 has an infinite derivative for beta < 1).
    log_p = F.logsigmoid(pred)
    log_not_p = F.logsigmoid(-pred)
    positive = torch.exp(beta * log_not_p) * log_p
    negative = torch.exp(beta * log_p) * log_not_p
    return -alpha * (y * positive + (1 - y) * negative)


def softmax_skin_focal_loss(pred: Tensor,
                            target: Tensor,
                            alpha: float = 0.25,
                            beta: float = 2.0) -> Tensor:
    """Element-wise multi-class Eq. (2): ``-alpha (1 - p_t)^beta log p_t``.

    ``p_t`` is the softmax probability of the target class. For two classes
    this is exactly Eq. (2), with ``p`` the probability of either class.

    Args:
        pred (Tensor): Logits, shape (N, K + 1), background last.
        target (Tensor): Class labels, shape (N,), in [0, K].
        alpha (float): Scale of the loss. Defaults to 0.25.
        beta (float): Focusing exponent. Defaults to 2.0.

    Returns:
        Tensor: Loss of shape (N,).
    """
    target = target.long()
    is_target = F.one_hot(target, pred.size(1)).bool()
    log_norm = pred.logsumexp(dim=1)
    log_p_t = pred.gather(1, target[:, None])[:, 0] - log_norm
    # log(1 - p_t) as the log of the other classes' total probability:
    # 1 - exp(log_p_t) would round to 0 for a confident prediction.
    log_not_p_t = pred.masked_fill(is_target, float('-inf')).logsumexp(dim=1) - log_norm
    return -alpha * torch.exp(beta * log_not_p_t) * log_p_t


@MODELS.register_module()
class SkinFocalLoss(nn.Module):
    """Focal loss of Eq. (2) with ``alpha`` on both terms.

    Drop-in for mmdet's ``loss_cls``:

    - RPN (``RPNHead``, ``use_sigmoid=True``): the head then outputs one
      channel per anchor; labels 0 = foreground, 1 = background::

        loss_cls=dict(type='SkinFocalLoss', use_sigmoid=True, loss_weight=1.0)

    - classify subnet (``Shared2FCBBoxHead``, ``use_sigmoid=False``): logits
      over ``num_classes + 1`` with background last, as mmdet's softmax heads::

        loss_cls=dict(type='SkinFocalLoss', use_sigmoid=False, loss_weight=1.0)

    mmdet heads read ``use_sigmoid`` from the config dict (absent means
    False), so the default here is False to agree with the head's channels.

    Args:
        use_sigmoid (bool): Sigmoid (binary per channel) or softmax form.
            Defaults to False.
        alpha (float): Scale of both terms of Eq. (2). Defaults to 0.25.
        beta (float): Focusing exponent of Eq. (2). Defaults to 2.0.
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 use_sigmoid: bool = False,
                 alpha: float = 0.25,
                 beta: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'SkinFocalLoss: `reduction` must be one of '
                             f"'none', 'mean', 'sum', got {reduction!r}")
        if beta < 0:
            raise ValueError(f'SkinFocalLoss: `beta` must be >= 0, got {beta}')
        self.use_sigmoid = use_sigmoid
        self.alpha = alpha
        self.beta = beta
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits. Sigmoid form: (N, C), or (N,) read as
                (N, 1). Softmax form: (N, K + 1), background last.
            target (Tensor): Class labels, shape (N,). Sigmoid form: in
                [0, C], ``C`` = background. Softmax form: in [0, K].
            weight (Tensor, optional): Per-sample weight, shape (N,).
            avg_factor (float, optional): Divides the summed loss instead of
                the number of elements.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The loss, float32 (also under autocast); for reduction
            'none' shaped like ``pred`` in the sigmoid form and (N,) in the
            softmax form.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override or self.reduction
        # At least float32 whatever the autocast dtype: half-precision log-sigmoids
        # and a sum over every anchor lose the small terms Eq. (2) is made of.
        pred = pred.to(torch.promote_types(pred.dtype, torch.float32))
        squeeze = self.use_sigmoid and pred.dim() == 1
        if squeeze:
            pred = pred[:, None]
        if pred.dim() != 2 or target.shape != (pred.size(0), ):
            raise ValueError(
                'SkinFocalLoss: expected `pred` logits of shape (N, C) and '
                f'`target` labels of shape (N,), got {tuple(pred.shape)} and '
                f'{tuple(target.shape)}')
        if self.use_sigmoid:
            loss = sigmoid_skin_focal_loss(pred, target, self.alpha, self.beta)
            if weight is not None and weight.dim() == 1:
                # one weight per sample, shared by its channels
                weight = weight[:, None]
        else:
            loss = softmax_skin_focal_loss(pred, target, self.alpha, self.beta)
        if loss.numel() == 0 and reduction == 'mean' and avg_factor is None:
            # the mean of no anchors is NaN; keep a zero attached to the graph
            loss = loss.sum()
        else:
            loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        if squeeze and reduction == 'none':
            loss = loss[:, 0]
        return self.loss_weight * loss
