"""Mask R-CNN with the paper's results combination (II-B-3)."""
import functools
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.detectors import MaskRCNN
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmengine.structures import InstanceData
from torch import Tensor

from mmskin.utils import cpu_has_bf16
from mmskin.utils.upstream_private import mask_forward, restore_unpadded_shape
from ..roi_heads.lesion_mask import paste_lesion_mask, paste_lesion_mask_prob

#: ``train_feature_dtype`` values
FEATURE_DTYPES = ('float32', 'bfloat16', 'auto')


def instances_to_original(pred_instances: InstanceData, img_meta: dict) -> InstanceData:
    """Detections predicted with ``rescale=False`` brought to the original image.

    Boxes are divided by the resize ``scale_factor``; masks (pasted at the
    resized, unpadded size) are resized to ``ori_shape`` with nearest
    neighbour interpolation, so they stay binary.
    """
    height, width = img_meta['ori_shape'][:2]
    w_scale, h_scale = img_meta['scale_factor'][:2]
    results = pred_instances.clone()
    results.bboxes = pred_instances.bboxes / pred_instances.bboxes.new_tensor(
        [w_scale, h_scale, w_scale, h_scale])
    if 'masks' in pred_instances:
        masks = pred_instances.masks
        if len(masks) == 0:
            results.masks = masks.new_zeros((0, height, width))
        else:
            resized = F.interpolate(masks[:, None].float(), size=(height, width), mode='nearest')
            results.masks = resized[:, 0].to(masks.dtype)
    return results


@MODELS.register_module()
class SkinLesionMaskRCNN(MaskRCNN):
    """Mask R-CNN whose predictions end in one lesion per image (paper II-B-3).

    ``predict`` adds ``pred_lesion`` to every ``DetDataSample``: a
    ``BaseDataElement`` with ``p_malignant``, ``pred_label``, ``score``, ``bbox``,
    ``mask`` (original image resolution) and ``detected``, made by the
    results combination head. The ISIC metrics read it.

    The mask head runs, and its masks are pasted at the original resolution,
    only for the detections the combination uses
    (:meth:`LesionCombinationHead.kept_indices`: one for ``'top_roi'``), each
    on its box's region; the lesion mask equals the one made from mmdet's
    full output, pixel for pixel. ``pred_instances`` then holds mmdet's
    boxes, scores, labels and ``class_probs`` without ``masks``. With
    ``instance_masks=True`` it is mmdet's full output, a mask of the image's
    size for every detection (``tools/test.py --out`` and COCO-style
    evaluation turn it on), at mmdet's cost in time and memory, which grows
    with the number of detections.

    Args:
        lesion_cfg: config of the results combination head; ``type``
            defaults to :class:`~mmskin.models.lesion_heads.LesionCombinationHead`,
            whose signature holds the defaults of the other keys;
            ``num_classes`` is the RoI head's. The class
            probabilities need ``roi_head.bbox_head.type='SkinLesionBBoxHead'``.
        instance_masks: put every detection's mask into ``pred_instances``.
        train_feature_dtype: the precision of the backbone and the neck
            while training on a CPU: ``'float32'``; ``'bfloat16'``
            (``torch.autocast``: convolutions in bfloat16, weights and
            gradients kept in float32); or ``'auto'``: bfloat16 where the
            CPU computes it natively (:func:`mmskin.utils.cpu_has_bf16`),
            float32 elsewhere. The features leave the neck in float32, so
            the heads, mmcv's RoIAlign and NMS (float32 kernels only) and
            the losses compute in float32; inference is float32 throughout.
        lesion_mask_probs: also give ``pred_lesion.mask_prob``, float32
            (H, W): the pixel-wise maximum of the kept detections' pasted mask
            probabilities (0 outside their boxes and without detection), of
            which ``mask`` is the thresholded copy. Test-time augmentation
            (:class:`~mmskin.models.test_time_augs.LesionTTAModel`) turns it on
            to average the views before thresholding.
        **kwargs: arguments of mmdet's ``MaskRCNN``.
    """

    def __init__(self,
                 *args,
                 lesion_cfg: Optional[dict] = None,
                 instance_masks: bool = False,
                 train_feature_dtype: str = 'float32',
                 lesion_mask_probs: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance_masks = instance_masks
        self.lesion_mask_probs = lesion_mask_probs
        if train_feature_dtype not in FEATURE_DTYPES:
            raise ValueError(f'train_feature_dtype {train_feature_dtype!r}: expected one of '
                             f'{FEATURE_DTYPES}')
        self.train_bf16 = train_feature_dtype == 'bfloat16' or (
            train_feature_dtype == 'auto' and cpu_has_bf16())
        cfg = dict(type='LesionCombinationHead', num_classes=self.roi_head.bbox_head.num_classes)
        cfg.update(lesion_cfg or {})
        try:
            self.lesion_combination = MODELS.build(cfg)
        except TypeError as error:  # an unknown key
            raise ValueError(f'lesion_cfg {dict(lesion_cfg or {})}: {error}') from None

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """The neck's features, in bfloat16 while training on a CPU where
        ``train_feature_dtype`` says so, returned in float32."""
        if not (self.train_bf16 and self.training and batch_inputs.device.type == 'cpu'):
            return super().extract_feat(batch_inputs)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            features = super().extract_feat(batch_inputs)
        return tuple(feature.float() for feature in features)

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """mmdet's prediction plus the combined lesion ``pred_lesion``."""
        for data_sample in batch_data_samples:
            restore_unpadded_shape(data_sample)
        if self.instance_masks or not self.roi_head.with_mask:
            return self._predict_full(batch_inputs, batch_data_samples, rescale)
        x = self.extract_feat(batch_inputs)
        if batch_data_samples[0].get('proposals', None) is None:
            rpn_results_list = self.rpn_head.predict(x, batch_data_samples, rescale=False)
        else:
            rpn_results_list = [data_sample.proposals for data_sample in batch_data_samples]
        img_metas = [data_sample.metainfo for data_sample in batch_data_samples]
        # As mmdet's StandardRoIHead.predict with a mask head: boxes at the
        # network input's scale, for the mask RoIs.
        results_list = self.roi_head.predict_bbox(
            x, img_metas, rpn_results_list, rcnn_test_cfg=self.roi_head.test_cfg, rescale=False)
        kept_list = [
            self.lesion_combination.kept_indices(self.lesion_combination.ranks(r))
            for r in results_list
        ]
        lesion_masks = self._lesion_masks(x, img_metas, results_list, kept_list, rescale)
        threshold = self.roi_head.test_cfg.mask_thr_binary
        for data_sample, results, pasted in zip(batch_data_samples, results_list, lesion_masks):
            lesion_mask = pasted
            if pasted is not None and pasted.is_floating_point():
                lesion_mask = pasted >= threshold
            if rescale:
                results.bboxes = results.bboxes / _box_scale(results.bboxes, data_sample.metainfo)
                original = results
            else:
                original = instances_to_original(results, data_sample.metainfo)
            data_sample.pred_instances = results
            lesion = self.lesion_combination(
                original, data_sample.metainfo['ori_shape'], lesion_mask=lesion_mask)
            if self.lesion_mask_probs:
                lesion.mask_prob = lesion.mask.float() if pasted is None else pasted
            data_sample.pred_lesion = lesion
        return batch_data_samples

    def _predict_full(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                      rescale: bool) -> SampleList:
        """mmdet's prediction (every detection's mask, if the model has a mask
        head), then the combination of its instances."""
        batch_data_samples = super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        for data_sample in batch_data_samples:
            pred_instances = data_sample.pred_instances
            if not rescale:
                pred_instances = instances_to_original(pred_instances, data_sample.metainfo)
            data_sample.pred_lesion = self.lesion_combination(
                pred_instances, data_sample.metainfo['ori_shape'])
        return batch_data_samples

    def _lesion_masks(self, x: tuple, img_metas: List[dict], results_list: List[InstanceData],
                      kept_list: List[Tensor], rescale: bool) -> List[Optional[Tensor]]:
        """The lesion mask of each image at its original size (None without
        detection): mmdet's mask head and pasting
        (``FCNMaskHead._predict_by_feat_single``) for the kept detections;
        its probabilities instead with ``lesion_mask_probs``."""
        kept_boxes = [r.bboxes[kept] for r, kept in zip(results_list, kept_list)]
        mask_rois = bbox2roi(kept_boxes)
        if mask_rois.shape[0] == 0:
            return [None] * len(results_list)
        mask_head = self.roi_head.mask_head
        mask_preds = mask_forward(self.roi_head, x, mask_rois)
        mask_preds = mask_preds.split([len(boxes) for boxes in kept_boxes], 0)
        threshold = self.roi_head.test_cfg.mask_thr_binary
        lesion_masks = []
        for img_meta, results, kept, boxes, preds in zip(img_metas, results_list, kept_list,
                                                         kept_boxes, mask_preds):
            if len(kept) == 0:
                lesion_masks.append(None)
                continue
            probs = preds.sigmoid()
            probs = probs[:, 0] if mask_head.class_agnostic else probs[
                torch.arange(len(kept)), results.labels[kept]]
            height, width = img_meta['ori_shape'][:2]
            if self.lesion_mask_probs:
                paste = paste_lesion_mask_prob
            else:
                paste = functools.partial(paste_lesion_mask, threshold=threshold)
            if rescale:
                boxes = boxes / _box_scale(boxes, img_meta)
                lesion_masks.append(paste(probs, boxes, height, width))
            else:
                w_scale, h_scale = _box_scale(boxes, img_meta)[0, :2].tolist()
                resized = paste(probs, boxes, int(np.round(height * h_scale)),
                                int(np.round(width * w_scale)))
                lesion_masks.append(
                    F.interpolate(resized[None, None].float(), size=(height, width),
                                  mode='nearest')[0, 0].to(resized.dtype))
        return lesion_masks


def _box_scale(boxes: Tensor, img_meta: dict) -> Tensor:
    """(1, 4) divisor that brings boxes to the original image, as mmdet's
    mask head computes it."""
    return boxes.new_tensor(img_meta['scale_factor']).repeat((1, 2))
