import pytest
import torch
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmengine.config import ConfigDict

from mmskin.models.roi_heads import SkinLesionBBoxHead

TEST_CFG = ConfigDict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)
IMG_META = dict(img_shape=(100, 100), scale_factor=(2.0, 2.0))

# RoI boxes (x0, y0, x1, y1) and logits (benign, malignant, background):
ROIS = torch.tensor([
    [0., 0., 20., 20.],  # malignant only (benign 0.045 < 0.05)
    [30., 0., 50., 20.],  # benign and malignant both 0.47: two detections
    [60., 0., 80., 20.],  # background: no detection
    [0., 40., 20., 60.],  # benign 0.96
    [1., 41., 21., 61.],  # benign 0.91, suppressed by the previous RoI
    [60., 60., 90., 90.],  # malignant 0.80 (benign 0.02)
])
LOGITS = torch.tensor([[0., 3., 0.], [2., 2., 0.], [0., 0., 5.], [4., 0., 0.], [3., 0., 0.],
                       [-2., 1.5, 0.]])


def _head(num_classes=2, **kwargs):
    return SkinLesionBBoxHead(in_channels=4, fc_out_channels=8, roi_feat_size=7,
                              num_classes=num_classes, **kwargs)


def _predict(head, rescale=False, cfg=TEST_CFG, rois=ROIS, logits=LOGITS, parent=False):
    roi = torch.cat([rois.new_zeros(len(rois), 1), rois], dim=1)
    deltas = torch.zeros(len(rois), 4 if head.reg_class_agnostic else 4 * head.num_classes)
    method = (Shared2FCBBoxHead if parent else SkinLesionBBoxHead)._predict_by_feat_single
    return method(head, roi, logits, deltas, IMG_META, rescale=rescale, rcnn_test_cfg=cfg)


def _roi_of(box, rescale):
    """Index of the RoI a (zero-delta) detection box came from."""
    scale = 0.5 if rescale else 1.0
    matches = (ROIS * scale - box).abs().sum(dim=1) < 1e-4
    assert matches.sum() == 1
    return int(matches.nonzero())


@pytest.mark.parametrize('rescale', [False, True])
@pytest.mark.parametrize('class_agnostic', [False, True])
def test_each_detection_keeps_its_roi_softmax(rescale, class_agnostic):
    head = _head(reg_class_agnostic=class_agnostic)
    results = _predict(head, rescale)
    reference = _predict(head, rescale, parent=True)
    # detections themselves are exactly mmdet's
    torch.testing.assert_close(results.bboxes, reference.bboxes)
    torch.testing.assert_close(results.scores, reference.scores)
    assert torch.equal(results.labels, reference.labels)
    softmax = LOGITS.softmax(dim=1)
    rois = [_roi_of(box, rescale) for box in results.bboxes]
    assert sorted(zip(rois, results.labels.tolist())) == [(0, 1), (1, 0), (1, 1), (3, 0),
                                                          (5, 1)]
    assert results.class_probs.shape == (5, 3)
    for i, roi in enumerate(rois):
        torch.testing.assert_close(results.class_probs[i], softmax[roi])
        # a detection's score is its own class column of that softmax
        assert results.class_probs[i, results.labels[i]] == pytest.approx(
            float(results.scores[i]))


def test_max_per_img_keeps_rows_aligned():
    cfg = ConfigDict(TEST_CFG, max_per_img=2)
    results = _predict(_head(), cfg=cfg)
    assert len(results) == 2 and results.class_probs.shape == (2, 3)
    softmax = LOGITS.softmax(dim=1)
    torch.testing.assert_close(results.class_probs, softmax[[3, 0]])
    torch.testing.assert_close(results.scores, softmax[[3, 0], [0, 1]])


@pytest.mark.parametrize('rois, logits', [
    (torch.zeros(0, 4), torch.zeros(0, 3)),
    (ROIS[2:3], LOGITS[2:3]),  # only background: nothing above score_thr
])
def test_no_detection_gives_empty_class_probs(rois, logits):
    results = _predict(_head(), rois=rois, logits=logits)
    assert results.bboxes.shape == (0, 4)
    assert results.scores.shape == (0, ) and results.labels.shape == (0, )
    assert results.class_probs.shape == (0, 3)


def test_without_test_cfg_returns_mmdets_raw_results():
    head = _head()
    results = _predict(head, cfg=None)
    reference = _predict(head, cfg=None, parent=True)
    torch.testing.assert_close(results.scores, reference.scores)
    torch.testing.assert_close(results.bboxes, reference.bboxes)
    assert 'class_probs' not in results


def test_single_class_head_without_regression():
    """The segmentation-only ablation: one foreground class, no box regression."""
    head = _head(num_classes=1, with_reg=False)
    roi = torch.cat([ROIS.new_zeros(len(ROIS), 1), ROIS], dim=1)
    logits = torch.tensor([[2., 0.], [-3., 0.], [1., 0.], [0., 0.], [-1., 0.], [3., 0.]])
    results = head._predict_by_feat_single(roi, logits, None, IMG_META, rcnn_test_cfg=TEST_CFG)
    reference = Shared2FCBBoxHead._predict_by_feat_single(
        head, roi, logits, None, IMG_META, rcnn_test_cfg=TEST_CFG)
    torch.testing.assert_close(results.bboxes, reference.bboxes)
    torch.testing.assert_close(results.scores, reference.scores)
    # RoI 1 is below score_thr, RoI 4 is suppressed by RoI 3
    rois = [_roi_of(box, rescale=False) for box in results.bboxes]
    assert rois == [5, 0, 2, 3]
    torch.testing.assert_close(results.class_probs, logits.softmax(dim=1)[rois])
