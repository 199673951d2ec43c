"""Results combination (paper II-B-3): one lesion per image.

Mask R-CNN returns any number of scored instances; an ISIC image holds
exactly one lesion, and the challenge asks for one class probability and
one mask per image. :class:`LesionCombinationHead` turns the detections of
one image into that single result. Like mmdet's panoptic fusion heads, it
is a model component without parameters or loss, built by the detector from
its config (``SkinLesionMaskRCNN(lesion_cfg=...)``).
"""
from typing import Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import BaseDataElement, InstanceData

from mmskin.utils import ISIC_CLASSES, tight_box

_BENIGN = ISIC_CLASSES.index('benign')
_MALIGNANT = ISIC_CLASSES.index('malignant')


def _p_malignant(class_probs: torch.Tensor, renormalize: bool) -> torch.Tensor:
    """Probability of malignancy of each detection from its RoI softmax.

    NaN for a head with a single foreground class ("lesion", as in the
    segmentation-only ablation), which has no benign / malignant output.
    """
    if class_probs.size(1) != len(ISIC_CLASSES) + 1:
        return class_probs.new_full((class_probs.size(0), ), float('nan'))
    p_benign = class_probs[:, _BENIGN]
    p_malignant = class_probs[:, _MALIGNANT]
    if not renormalize:
        return p_malignant
    # Only the two foreground columns compete once the lesion is known to be
    # there; the clamp guards a softmax whose foreground mass underflowed.
    return p_malignant / (p_benign + p_malignant).clamp(min=torch.finfo(class_probs.dtype).tiny)


@MODELS.register_module()
class LesionCombinationHead(BaseModule):
    """The single lesion of an image from its instance predictions.

    Args:
        mode: ``'top_roi'``: the top-ranked detection (the first of tied
            ones) is the lesion: its probability, box and mask. ``'union'``:
            the lesion mask is the union of the top detection and every detection ranked
            ``>= score_thr``; its box is the tight box of that mask (the
            paper's detection label, III-A; the enclosing box of the kept
            detections if their masks are all empty); its probability is the
            mean over them weighted by their ranks: the max would grow with
            the number of overlapping leftovers of NMS, the weighting lets
            the confident detections dominate.
        rank: what orders the detections. ``'score'``: mmdet's detection
            score, the probability of the detection's own class. ``'lesion'``:
            the probability that the box holds a lesion of either class,
            ``1 - p(background)`` of the RoI softmax. The two agree while the
            classify subnet is sure of the class; while it is not (early in
            training, or on real lesions where benign and malignant look
            alike) every class score sits near half the foreground mass, and
            only ``'lesion'`` still tells a box around the whole lesion from
            one around part of it. Tied boxes (the benign and malignant
            copies of one box) go to the first, the higher-scoring class.
        score_thr: used by ``'union'`` only, on the rank; ``'top_roi'`` takes the best
            detection whatever its score, as the image is known to hold a
            lesion (the detector's ``test_cfg.rcnn.score_thr`` bounds both).
        renormalize: take ``p(malignant) / (p(benign) + p(malignant))`` of
            the RoI softmax instead of the raw ``p(malignant)``. One lesion
            per image is known to exist, so the background mass of the
            softmax is not evidence for either class; without this the
            probabilities shrink by that mass and the 0.5 operating point
            calls too few lesions malignant.
        num_classes: foreground classes of the detector's RoI head, set by
            the detector: 2 (benign, malignant) gives ``p_malignant``; any
            other head (e.g. one "lesion" class, the segmentation-only
            ablation) has no benign / malignant output and gives NaN.
        empty_p_malignant: probability given to an image with no detection.
            The default 0.0 scores a missed lesion as a confident benign call
            (a missed lesion is not evidence of malignancy); 0.5 would make
            it uninformative for AUC instead. Such images are reported, never
            dropped.
        init_cfg: unused (no parameters); see mmengine ``BaseModule``.
    """

    #: Ways to combine the detections of an image into its lesion.
    MODES = ('top_roi', 'union')
    #: What orders the detections.
    RANKS = ('score', 'lesion')

    def __init__(self,
                 mode: str = 'top_roi',
                 score_thr: float = 0.05,
                 renormalize: bool = True,
                 rank: str = 'score',
                 num_classes: int = len(ISIC_CLASSES),
                 empty_p_malignant: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in self.MODES:
            raise ValueError(f'lesion_cfg.mode must be one of {self.MODES}, got {mode!r}')
        if not 0.0 <= empty_p_malignant <= 1.0:
            raise ValueError('lesion_cfg.empty_p_malignant must be a probability in [0, 1], '
                             f'got {empty_p_malignant!r}')
        if rank not in self.RANKS:
            raise ValueError(f'lesion_cfg.rank must be one of {self.RANKS}, got {rank!r}')
        self.mode = mode
        self.rank = rank
        self.score_thr = score_thr
        self.renormalize = renormalize
        self.num_classes = num_classes
        self.empty_p_malignant = float(empty_p_malignant)

    def ranks(self, pred_instances: InstanceData) -> torch.Tensor:
        """(N,) what orders the detections (see ``rank``)."""
        if self.rank == 'score' or len(pred_instances) == 0:
            return pred_instances.scores
        if 'class_probs' not in pred_instances:
            raise ValueError("lesion_cfg.rank='lesion' needs the RoI softmax kept by "
                             "roi_head.bbox_head.type='SkinLesionBBoxHead'")
        return 1.0 - pred_instances.class_probs[:, -1]

    def kept_indices(self, scores: torch.Tensor) -> torch.Tensor:
        """Indices of the detections whose masks make the lesion mask.

        Args:
            scores: (N,) the :meth:`ranks` of the detections.

        ``'top_roi'``: the top-ranked detection (the first of tied ones);
        ``'union'``: the top one and every one ranked ``>= score_thr``,
        in ascending order. Empty for no detection. The detector pastes masks
        for these detections only (see ``SkinLesionMaskRCNN``).
        """
        if scores.numel() == 0:
            return torch.zeros(0, dtype=torch.long, device=scores.device)
        top = torch.argmax(scores)  # the first of tied scores
        if self.mode == 'top_roi':
            return top.reshape(1)
        keep = scores >= self.score_thr
        keep[top] = True
        return torch.nonzero(keep, as_tuple=False)[:, 0]

    def forward(self,
                pred_instances: InstanceData,
                ori_shape: Sequence[int],
                lesion_mask: Optional[torch.Tensor] = None) -> BaseDataElement:
        """Combine one image's detections.

        Args:
            pred_instances: one image's detections at the original resolution
                (mmdet ``predict(..., rescale=True)``), sorted or not:
                ``scores`` (N,), ``bboxes`` (N, 4) ``x0, y0, x1, y1``,
                ``class_probs`` (N, num_classes + 1) as written by
                :class:`~mmskin.models.roi_heads.SkinLesionBBoxHead` (mmdet column
                order: benign, malignant, background) and ``masks`` (N, H, W)
                bool. A model without a mask head gives no ``masks``: the lesion
                mask is then empty.
            ori_shape: ``(H, W)`` of the original image.
            lesion_mask: the union of the masks of the :meth:`kept_indices`
                detections, bool (H, W), when the detector pasted only those;
                it replaces ``pred_instances.masks``.

        Returns:
            ``BaseDataElement`` with ``p_malignant`` (float; NaN for a model with
            one foreground class), ``pred_label`` (int, 1 iff
            ``p_malignant > 0.5`` as the ISIC scorer thresholds), ``score``
            (float, the score the kept detection was ranked by: its class
            score under ``rank='score'``, its lesion probability
            1 - p(background) under ``rank='lesion'``; 0.0 without
            detection), ``bbox`` (float32
            tensor (4,), zeros without detection), ``mask`` (bool tensor (H, W))
            and ``detected`` (bool).
        """
        height, width = (int(s) for s in ori_shape[:2])
        device = pred_instances.bboxes.device if 'bboxes' in pred_instances else torch.device('cpu')
        masks = pred_instances.masks if 'masks' in pred_instances else None
        for name, given in (('predicted masks', masks), ('lesion_mask', lesion_mask)):
            if given is not None and tuple(given.shape[-2:]) != (height, width):
                raise ValueError(f'{name} are {tuple(given.shape[-2:])} but the original image '
                                 f'is {(height, width)}; predict with rescale=True')
        empty_mask = torch.zeros((height, width), dtype=torch.bool, device=device)
        if len(pred_instances) == 0:
            p_empty = (self.empty_p_malignant
                       if self.num_classes == len(ISIC_CLASSES) else float('nan'))
            return BaseDataElement(
                p_malignant=p_empty,
                pred_label=int(p_empty > 0.5),
                score=0.0,
                bbox=torch.zeros(4, dtype=torch.float32, device=device),
                mask=empty_mask,
                detected=False)
        if 'class_probs' not in pred_instances:
            raise ValueError("pred_instances has no 'class_probs': the lesion probability needs "
                             "the RoI softmax kept by "
                             "roi_head.bbox_head.type='SkinLesionBBoxHead'")

        scores = self.ranks(pred_instances)
        p_malignant = _p_malignant(pred_instances.class_probs, self.renormalize)
        kept = self.kept_indices(scores)
        if lesion_mask is not None:
            mask = lesion_mask.bool()
        elif masks is not None:
            mask = masks[kept].bool().any(dim=0)
        else:
            mask = empty_mask
        if self.mode == 'top_roi':
            lesion_p = float(p_malignant[kept[0]])
            bbox = pred_instances.bboxes[kept[0]].float()
        else:
            weights = scores[kept]
            lesion_p = float((weights * p_malignant[kept]).sum() / weights.sum())
            if mask.any():
                bbox = torch.from_numpy(tight_box(mask.cpu().numpy())).to(device)
            else:
                boxes = pred_instances.bboxes[kept].float()
                bbox = torch.cat([boxes[:, :2].min(dim=0).values, boxes[:, 2:].max(dim=0).values])
        return BaseDataElement(
            p_malignant=lesion_p,
            pred_label=int(lesion_p > 0.5),
            score=float(scores.max()),
            bbox=bbox,
            mask=mask,
            detected=True)
