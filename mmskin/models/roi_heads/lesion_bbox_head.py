"""The Classify and Detect subnets (paper II-B-3) keeping each detection's softmax."""
from typing import Optional

from mmdet.models.layers import multiclass_nms
from mmdet.models.roi_heads.bbox_heads import ConvFCBBoxHead
from mmdet.models.utils import empty_instances
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_type
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor


@MODELS.register_module()
class SkinLesionBBoxHead(ConvFCBBoxHead):
    """Shared layers, then softmax classification and box regression.

    By default two shared FC layers, mmdet's ``Shared2FCBBoxHead`` (the
    paper's head); ``num_shared_convs=4, num_shared_fcs=1`` and a
    ``norm_cfg`` make it mmdet's ``Shared4Conv1FCBBoxHead`` of its GroupNorm
    and from-scratch configs. Identical to those except at inference: every
    detection kept after NMS also carries the full softmax of the RoI it
    came from, ``class_probs`` (N, num_classes + 1), in mmdet's column order
    (foreground classes in ``ISIC_CLASSES`` order, then background). The
    results combination (paper II-B-3,
    :class:`mmskin.models.lesion_heads.LesionCombinationHead`) needs it: a detection's
    ``score`` is only the probability of its own class, while the lesion's
    probability of malignancy compares the benign and malignant columns of
    the same RoI.
    """

    def __init__(self, num_shared_convs: int = 0, num_shared_fcs: int = 2, **kwargs) -> None:
        super().__init__(num_shared_convs=num_shared_convs, num_shared_fcs=num_shared_fcs,
                         **kwargs)

    def _predict_by_feat_single(self,
                                roi: Tensor,
                                cls_score: Tensor,
                                bbox_pred: Tensor,
                                img_meta: dict,
                                rescale: bool = False,
                                rcnn_test_cfg: Optional[ConfigDict] = None) -> InstanceData:
        """mmdet's post-processing of one image, plus ``class_probs``.

        Without ``rcnn_test_cfg`` (test-time augmentation) the raw per-RoI
        results are returned unchanged; their ``scores`` already are the
        full softmax.
        """
        # The parent's no-NMS branch decodes (and rescales) the boxes of every
        # RoI and returns the per-RoI softmax; NMS is then run here so that
        # the kept indices are known.
        raw = super()._predict_by_feat_single(
            roi, cls_score, bbox_pred, img_meta, rescale=rescale, rcnn_test_cfg=None)
        if rcnn_test_cfg is None:
            return raw
        if roi.shape[0] == 0:
            results = empty_instances([img_meta],
                                      roi.device,
                                      task_type='bbox',
                                      box_type=self.predict_box_type,
                                      num_classes=self.num_classes)[0]
            results.class_probs = raw.scores
            return results
        box_dim = get_box_type(self.predict_box_type)[1].box_dim
        det_bboxes, det_labels, kept = multiclass_nms(
            raw.bboxes,
            raw.scores,
            rcnn_test_cfg.score_thr,
            rcnn_test_cfg.nms,
            rcnn_test_cfg.max_per_img,
            return_inds=True,
            box_dim=box_dim)
        results = InstanceData()
        results.bboxes = det_bboxes[:, :-1]
        results.scores = det_bboxes[:, -1]
        results.labels = det_labels
        # multiclass_nms flattens the (num_rois, num_classes) foreground score
        # matrix row by row, so a kept index is roi * num_classes + class.
        num_classes = raw.scores.size(1) - 1
        results.class_probs = raw.scores[kept // num_classes]
        return results
