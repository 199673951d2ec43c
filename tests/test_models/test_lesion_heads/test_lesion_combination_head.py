import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.registry import MODELS

from mmskin.models.lesion_heads import LesionCombinationHead

H, W = 12, 16


def _box_mask(x0, y0, x1, y1):
    mask = torch.zeros(H, W, dtype=torch.bool)
    mask[y0:y1, x0:x1] = True
    return mask


def combine_lesion(pred_instances, ori_shape, **cfg):
    return LesionCombinationHead(**cfg)(pred_instances, ori_shape)


def _detections():
    """Three detections, not sorted by score; columns: benign, malignant, background."""
    return InstanceData(
        scores=torch.tensor([0.6, 0.9, 0.3]),
        labels=torch.tensor([0, 1, 1]),
        bboxes=torch.tensor([[1., 1., 5., 4.], [6., 2., 10., 8.], [12., 9., 15., 11.]]),
        class_probs=torch.tensor([[0.6, 0.2, 0.2], [0.05, 0.9, 0.05], [0.1, 0.3, 0.6]]),
        masks=torch.stack([_box_mask(1, 1, 5, 4), _box_mask(6, 2, 10, 8),
                           _box_mask(12, 9, 15, 11)]))


def test_top_roi_takes_the_best_detection_renormalised():
    lesion = combine_lesion(_detections(), (H, W))
    assert lesion.detected is True
    assert lesion.p_malignant == pytest.approx(0.9 / (0.05 + 0.9))
    assert lesion.pred_label == 1
    assert lesion.score == pytest.approx(0.9)
    torch.testing.assert_close(lesion.bbox, torch.tensor([6., 2., 10., 8.]))
    assert torch.equal(lesion.mask, _box_mask(6, 2, 10, 8))
    assert lesion.mask.shape == (H, W) and lesion.mask.dtype == torch.bool


def test_top_roi_without_renormalisation_uses_raw_softmax():
    dets = _detections()
    dets.class_probs[1] = torch.tensor([0.2, 0.45, 0.35])
    raw = combine_lesion(dets, (H, W), renormalize=False)
    assert raw.p_malignant == pytest.approx(0.45)
    assert raw.pred_label == 0  # 0.45 is not > 0.5 ...
    renormalised = combine_lesion(dets, (H, W))
    assert renormalised.p_malignant == pytest.approx(0.45 / 0.65)
    assert renormalised.pred_label == 1  # ... but p(malignant | lesion) is


def test_ties_take_the_first_detection():
    dets = _detections()
    dets.scores = torch.tensor([0.9, 0.9, 0.3])
    lesion = combine_lesion(dets, (H, W))
    torch.testing.assert_close(lesion.bbox, dets.bboxes[0])
    assert lesion.p_malignant == pytest.approx(0.2 / 0.8)


def test_union_of_detections_above_threshold():
    lesion = combine_lesion(_detections(), (H, W), mode='union', score_thr=0.5)
    expected_mask = _box_mask(1, 1, 5, 4) | _box_mask(6, 2, 10, 8)
    assert torch.equal(lesion.mask, expected_mask)
    # tight box of the union mask, pixel-edge convention
    torch.testing.assert_close(lesion.bbox, torch.tensor([1., 1., 10., 8.]))
    p0, p1 = 0.2 / 0.8, 0.9 / 0.95
    assert lesion.p_malignant == pytest.approx((0.6 * p0 + 0.9 * p1) / 1.5)
    assert lesion.score == pytest.approx(0.9)
    all_three = combine_lesion(_detections(), (H, W), mode='union', score_thr=0.05)
    assert all_three.mask.sum() == expected_mask.sum() + 3 * 2
    torch.testing.assert_close(all_three.bbox, torch.tensor([1., 1., 15., 11.]))


def test_union_keeps_the_top_detection_below_threshold():
    dets = _detections()
    dets.scores = torch.tensor([0.02, 0.04, 0.01])
    lesion = combine_lesion(dets, (H, W), mode='union', score_thr=0.05)
    assert lesion.detected
    assert torch.equal(lesion.mask, _box_mask(6, 2, 10, 8))
    assert lesion.p_malignant == pytest.approx(0.9 / 0.95)


def test_union_with_empty_masks_encloses_the_boxes():
    dets = _detections()
    dets.masks = torch.zeros(3, H, W, dtype=torch.bool)
    lesion = combine_lesion(dets, (H, W), mode='union', score_thr=0.5)
    torch.testing.assert_close(lesion.bbox, torch.tensor([1., 1., 10., 8.]))
    assert not lesion.mask.any()


@pytest.mark.parametrize('mode', ['top_roi', 'union'])
@pytest.mark.parametrize('with_probs', [True, False])
def test_no_detection_still_gives_a_result(mode, with_probs):
    # the RoI head returns no class_probs when the RPN gave no proposal at all
    empty = InstanceData(scores=torch.zeros(0), labels=torch.zeros(0, dtype=torch.long),
                         bboxes=torch.zeros(0, 4), masks=torch.zeros(0, H, W, dtype=torch.bool))
    if with_probs:
        empty.class_probs = torch.zeros(0, 3)
    lesion = combine_lesion(empty, (H, W), mode=mode)
    assert lesion.detected is False
    assert lesion.p_malignant == 0.0 and lesion.pred_label == 0 and lesion.score == 0.0
    assert lesion.mask.shape == (H, W) and not lesion.mask.any()
    assert torch.equal(lesion.bbox, torch.zeros(4))
    uninformed = combine_lesion(empty, (H, W), mode=mode, empty_p_malignant=0.7)
    assert uninformed.p_malignant == pytest.approx(0.7) and uninformed.pred_label == 1
    with pytest.raises(ValueError, match="mode must be one of"):
        combine_lesion(empty, (H, W), mode='max')


def test_model_without_mask_head_gives_an_empty_mask():
    dets = _detections()
    del dets.masks
    lesion = combine_lesion(dets, (H, W))
    assert lesion.mask.shape == (H, W) and not lesion.mask.any()
    assert lesion.p_malignant == pytest.approx(0.9 / 0.95)


def test_one_foreground_class_has_no_probability_of_malignancy():
    # segmentation-only ablation: columns lesion, background
    dets = _detections()
    dets.class_probs = torch.tensor([[0.6, 0.4], [0.9, 0.1], [0.3, 0.7]])
    for mode in ('top_roi', 'union'):
        lesion = combine_lesion(dets, (H, W), mode=mode, num_classes=1)
        assert np.isnan(lesion.p_malignant) and lesion.pred_label == 0
        assert lesion.detected and lesion.mask.any()
    # also when nothing is detected: there is no classifier to ask
    lesion = combine_lesion(dets[:0], (H, W), num_classes=1)
    assert np.isnan(lesion.p_malignant) and not lesion.detected


def test_missing_class_probs_names_the_head():
    dets = _detections()
    del dets.class_probs
    with pytest.raises(ValueError, match='SkinLesionBBoxHead'):
        combine_lesion(dets, (H, W))


def test_masks_not_at_original_resolution_are_rejected():
    with pytest.raises(ValueError, match='rescale=True'):
        combine_lesion(_detections(), (H * 2, W * 2))


def test_built_from_config_with_the_signature_defaults():
    head = MODELS.build(dict(type='LesionCombinationHead'))
    assert (head.mode, head.score_thr, head.renormalize, head.empty_p_malignant) == \
        ('top_roi', 0.05, True, 0.0)
    assert MODELS.build(dict(type='LesionCombinationHead', mode='union')).score_thr == 0.05
    assert not list(head.parameters())  # checkpoints are unchanged by it
    with pytest.raises(TypeError, match='thr'):
        MODELS.build(dict(type='LesionCombinationHead', thr=0.3))
    with pytest.raises(ValueError, match='lesion_cfg.mode'):
        LesionCombinationHead(mode='max')
    with pytest.raises(ValueError, match='lesion_cfg.empty_p_malignant'):
        LesionCombinationHead(empty_p_malignant=2)


def test_tight_box_of_union_matches_numpy_reference():
    rng = np.random.default_rng(0)
    masks = torch.from_numpy(rng.random((4, H, W)) < 0.05)
    dets = InstanceData(scores=torch.tensor([0.9, 0.8, 0.7, 0.01]),
                        bboxes=torch.tensor([[0., 0., 1., 1.]] * 4),
                        class_probs=torch.full((4, 3), 1 / 3), masks=masks)
    lesion = combine_lesion(dets, (H, W), mode='union', score_thr=0.5)
    union = masks[:3].any(0).numpy()
    ys, xs = np.nonzero(union)
    expected = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    np.testing.assert_array_equal(lesion.bbox.numpy(), expected)
    assert lesion.p_malignant == pytest.approx(0.5)


@pytest.mark.parametrize('mode, expected', [('top_roi', [1]), ('union', [0, 1])])
def test_kept_indices_are_the_detections_whose_masks_make_the_lesion(mode, expected):
    head = LesionCombinationHead(mode=mode, score_thr=0.5)
    assert head.kept_indices(_detections().scores).tolist() == expected
    assert head.kept_indices(torch.zeros(0)).tolist() == []
    # the top detection is kept whatever the threshold
    assert LesionCombinationHead(mode=mode, score_thr=0.95).kept_indices(
        _detections().scores).tolist() == [1]


@pytest.mark.parametrize('mode', ['top_roi', 'union'])
def test_given_lesion_mask_equals_the_union_of_the_kept_masks(mode):
    head = LesionCombinationHead(mode=mode, score_thr=0.5)
    dets = _detections()
    lesion_mask = dets.masks[head.kept_indices(dets.scores)].any(dim=0)
    without_masks = dets.clone()
    del without_masks.masks
    fast = head(without_masks, (H, W), lesion_mask=lesion_mask)
    full = head(dets, (H, W))
    assert torch.equal(fast.mask, full.mask)
    torch.testing.assert_close(fast.bbox, full.bbox)
    assert (fast.p_malignant, fast.score, fast.pred_label) == \
        (full.p_malignant, full.score, full.pred_label)


def test_lesion_mask_not_at_original_resolution_is_rejected():
    dets = _detections()
    with pytest.raises(ValueError, match='lesion_mask'):
        LesionCombinationHead()(dets[:0], (H, W), lesion_mask=torch.zeros(H, W + 1, dtype=bool))


def _unsure_classes():
    """Two boxes as an unsure classify subnet scores them: the first around
    part of the lesion (p(background) 0.4, benign 0.31 > either class of the
    other), the second around all of it (p(background) 0.05, split evenly)."""
    return InstanceData(
        scores=torch.tensor([0.31, 0.30]),
        labels=torch.tensor([0, 1]),
        bboxes=torch.tensor([[1., 1., 5., 4.], [0., 0., 12., 10.]]),
        class_probs=torch.tensor([[0.31, 0.29, 0.4], [0.65, 0.30, 0.05]]),
        masks=torch.stack([_box_mask(1, 1, 5, 4), _box_mask(0, 0, 12, 10)]))


def test_rank_lesion_orders_by_foreground_probability():
    dets = _unsure_classes()
    by_score = combine_lesion(dets, (H, W))
    assert torch.equal(by_score.mask, _box_mask(1, 1, 5, 4))
    by_lesion = combine_lesion(dets, (H, W), rank='lesion')
    assert torch.equal(by_lesion.mask, _box_mask(0, 0, 12, 10))
    assert by_lesion.score == pytest.approx(0.95)
    # p(malignant) is still that of the kept box, renormalised
    assert by_lesion.p_malignant == pytest.approx(0.30 / 0.95)
    head = LesionCombinationHead(rank='lesion')
    torch.testing.assert_close(head.ranks(dets), torch.tensor([0.6, 0.95]))
    assert head.kept_indices(head.ranks(dets)).tolist() == [1]


def test_rank_lesion_union_thresholds_the_foreground_probability():
    dets = _unsure_classes()
    lesion = combine_lesion(dets, (H, W), mode='union', score_thr=0.5, rank='lesion')
    assert torch.equal(lesion.mask, _box_mask(0, 0, 12, 10) | _box_mask(1, 1, 5, 4))
    # weighted by the ranks 0.6 and 0.95
    expected = (0.6 * 0.29 / 0.60 + 0.95 * 0.30 / 0.95) / 1.55
    assert lesion.p_malignant == pytest.approx(expected)


def test_rank_must_be_known_and_needs_the_softmax():
    with pytest.raises(ValueError, match="rank must be one of"):
        LesionCombinationHead(rank='area')
    dets = _unsure_classes()
    del dets.class_probs
    with pytest.raises(ValueError, match="rank='lesion' needs the RoI softmax"):
        LesionCombinationHead(rank='lesion').ranks(dets)
