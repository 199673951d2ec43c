"""ClassAgnosticLabels (the segmentation-only ablation)."""
import numpy as np
import pytest

from mmskin.datasets.transforms import ClassAgnosticLabels


def test_class_agnostic_labels_make_every_lesion_class_zero():
    results = ClassAgnosticLabels()(dict(gt_bboxes_labels=np.array([1, 0, 1], dtype=np.int64)))
    assert results['gt_bboxes_labels'].tolist() == [0, 0, 0]
    assert results['gt_bboxes_labels'].dtype == np.int64
    with pytest.raises(KeyError, match='after LoadAnnotations'):
        ClassAgnosticLabels()(dict(img_path='a.jpg'))
