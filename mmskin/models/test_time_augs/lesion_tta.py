"""Test-time augmentation of the one lesion per image, in mmdet's convention.

A config holds ``tta_model = dict(type='LesionTTAModel')`` and a
``tta_pipeline`` whose ``TestTimeAug`` step makes the views (flips);
``tools/test.py --tta`` and ``tools/infer.py --tta`` wrap the detector in
the TTA model and test with that pipeline, as mmdet's ``tools/test.py
--tta`` does with its ``DetTTAModel``. mmdet's merges boxes by NMS and does
not merge masks; this one merges the combined lesions of the views.
"""
from typing import List, Sequence, Union

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox_flip
from mmengine.model import BaseTTAModel
from mmengine.structures import BaseDataElement

from mmskin.utils import tight_box
from ..detectors import SkinLesionMaskRCNN

#: Dimensions of an (H, W) mask that each flip direction reverses.
_FLIP_DIMS = dict(horizontal=(1, ), vertical=(0, ), diagonal=(0, 1))


def unflip_lesion(lesion: BaseDataElement, metainfo: dict) -> BaseDataElement:
    """A view's lesion brought back to the orientation of the photo.

    ``metainfo`` is the view's (``flip``, ``flip_direction`` and
    ``ori_shape``, as mmdet's ``RandomFlip`` and ``PackDetInputs`` record
    them); the flip is its own inverse.
    """
    if not metainfo.get('flip', False):
        return lesion
    direction = metainfo['flip_direction']
    unflipped = lesion.clone()
    for key in ('mask', 'mask_prob'):
        if key in lesion:
            unflipped.set_field(torch.flip(lesion.get(key), _FLIP_DIMS[direction]), key)
    if lesion.detected:
        unflipped.bbox = bbox_flip(lesion.bbox[None], metainfo['ori_shape'][:2], direction)[0]
    return unflipped


@MODELS.register_module()
class LesionTTAModel(BaseTTAModel):
    """Merges the views of an image into its one lesion.

    Each view's lesion (:class:`~mmskin.models.detectors.SkinLesionMaskRCNN`'s
    ``pred_lesion``) is first flipped back. The merged lesion's
    ``p_malignant`` and ``score`` are the means over the views that detected
    a lesion (a view without detection has no probability of its own, only
    the ``empty_p_malignant`` placeholder); its mask is the mean over all
    views of the mask probability at the photo's size (a view without
    detection counts zeros), thresholded at the detector's
    ``test_cfg.rcnn.mask_thr_binary``; its box is the tight box of that mask
    (the mean of the views' boxes if the mask is empty). An image no view
    detects gets the first view's empty lesion.

    Args:
        module: the detector, a ``SkinLesionMaskRCNN`` (config or module).
        data_preprocessor: see mmengine ``BaseTTAModel``.
    """

    def __init__(self, module: Union[dict, nn.Module], data_preprocessor=None) -> None:
        super().__init__(module, data_preprocessor)
        if not isinstance(self.module, SkinLesionMaskRCNN):
            raise ValueError(f'LesionTTAModel merges the lesions of SkinLesionMaskRCNN, got '
                             f'{type(self.module).__name__}')
        # The views are averaged before thresholding.
        self.module.lesion_mask_probs = True

    def merge_preds(self, data_samples_list: Sequence[Sequence[DetDataSample]]
                    ) -> List[DetDataSample]:
        """One data sample per image, from its views' (outer list: images)."""
        return [self._merge_views(views) for views in data_samples_list]

    def _merge_views(self, views: Sequence[DetDataSample]) -> DetDataSample:
        lesions = [unflip_lesion(v.pred_lesion, v.metainfo) for v in views]
        # The unflipped view carries the photo's own pred_instances and metainfo.
        merged = next((v for v in views if not v.metainfo.get('flip', False)), views[0])
        detected = [lesion for lesion in lesions if lesion.detected]
        if not detected:
            merged.pred_lesion = lesions[0]
            merged.pred_lesion.pop('mask_prob', None)
            return merged
        probs = torch.stack([
            lesion.mask_prob if 'mask_prob' in lesion else lesion.mask.float()
            for lesion in lesions
        ])
        mask = probs.mean(dim=0) >= self.module.roi_head.test_cfg.mask_thr_binary
        if mask.any():
            bbox = torch.from_numpy(tight_box(mask.cpu().numpy())).to(mask.device)
        else:
            bbox = torch.stack([lesion.bbox.float() for lesion in detected]).mean(dim=0)
        p_malignant = sum(float(lesion.p_malignant) for lesion in detected) / len(detected)
        merged.pred_lesion = BaseDataElement(
            p_malignant=p_malignant,
            pred_label=int(p_malignant > 0.5),
            score=sum(float(lesion.score) for lesion in detected) / len(detected),
            bbox=bbox,
            mask=mask,
            detected=True)
        return merged
