"""Mask R-CNN with the paper's results combination (II-B-3)."""
from typing import Optional

import torch.nn.functional as F
from mmdet.models.detectors import MaskRCNN
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor


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


def restore_unpadded_shape(data_sample) -> None:
    """Set ``img_shape`` back to the resized image without its padding.

    The paper's pipeline pads every image to a fixed square in the data
    pipeline (II-A-1), and mmdet's ``Pad`` then records the padded size as
    ``img_shape``. Proposals and boxes are clipped to ``img_shape``, so on a
    non-square photo they could reach into the padding, and a box lying
    wholly inside it breaks mmdet's mask pasting. The resized size is
    ``ori_shape * scale_factor``, as mmdet's own pipelines (padding in the
    data preprocessor) leave it.
    """
    if 'scale_factor' not in data_sample:
        return
    height, width = data_sample.ori_shape[:2]
    w_scale, h_scale = data_sample.scale_factor[:2]
    data_sample.set_metainfo(dict(img_shape=(round(height * h_scale), round(width * w_scale))))


@MODELS.register_module()
class SkinLesionMaskRCNN(MaskRCNN):
    """Mask R-CNN whose predictions end in one lesion per image (paper II-B-3).

    ``predict`` returns mmdet's ``pred_instances`` unchanged and adds
    ``pred_lesion`` to every ``DetDataSample``: a ``BaseDataElement`` with
    ``p_malignant``, ``label``, ``score``, ``bbox``, ``mask`` (original
    image resolution) and ``detected``, made by the results combination
    head. The ISIC metrics read it.

    Args:
        lesion_cfg: config of the results combination head; ``type``
            defaults to :class:`~mmskin.models.lesion_heads.LesionCombinationHead`,
            whose signature holds the defaults of the other keys;
            ``num_classes`` is the RoI head's. The class
            probabilities need ``roi_head.bbox_head.type='SkinLesionBBoxHead'``.
        **kwargs: arguments of mmdet's ``MaskRCNN``.
    """

    def __init__(self, *args, lesion_cfg: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cfg = dict(type='LesionCombinationHead', num_classes=self.roi_head.bbox_head.num_classes)
        cfg.update(lesion_cfg or {})
        try:
            self.lesion_combination = MODELS.build(cfg)
        except TypeError as error:  # an unknown key
            raise ValueError(f'lesion_cfg {dict(lesion_cfg or {})}: {error}') from None

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """mmdet's prediction plus the combined lesion ``pred_lesion``."""
        for data_sample in batch_data_samples:
            restore_unpadded_shape(data_sample)
        batch_data_samples = super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        for data_sample in batch_data_samples:
            pred_instances = data_sample.pred_instances
            if not rescale:
                pred_instances = instances_to_original(pred_instances, data_sample.metainfo)
            data_sample.pred_lesion = self.lesion_combination(
                pred_instances, data_sample.metainfo['ori_shape'])
        return batch_data_samples
