"""Label transforms for the multi-task ablation."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ClassAgnosticLabels(BaseTransform):
    """Train every lesion as class 0 ("lesion"), whatever its diagnosis.

    The segmentation-only setting of paper Tables IX/X ("Seg") has no
    benign / malignant classification: its RoI head scores lesion against
    background only (``num_classes=1``).

    Required keys: ``gt_bboxes_labels``. Modified keys: ``gt_bboxes_labels``.
    """

    def transform(self, results: dict) -> dict:
        if 'gt_bboxes_labels' not in results:
            raise KeyError(f'{results.get("img_path", "image")}: ClassAgnosticLabels needs '
                           'gt_bboxes_labels; put it after LoadAnnotations')
        results['gt_bboxes_labels'] = np.zeros_like(results['gt_bboxes_labels'])
        return results
