"""The losses drop into mmdet's RPNHead, Shared2FCBBoxHead and FCNMaskHead unchanged."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmskin  # noqa: F401  registers the losses

IMG_SIZE = 64
RPN_TRAIN_CFG = ConfigDict(
    assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                  match_low_quality=True, ignore_iof_thr=-1),
    sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                 add_gt_as_proposals=False),
    allowed_border=-1, pos_weight=-1, debug=False)


def build_rpn_head(use_sigmoid: bool) -> torch.nn.Module:
    return MODELS.build(
        dict(type='RPNHead', in_channels=4, feat_channels=4,
             anchor_generator=dict(type='AnchorGenerator', scales=[3], ratios=[1.0], strides=[8]),
             bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                             target_stds=[1.0] * 4),
             loss_cls=dict(type='SkinFocalLoss', use_sigmoid=use_sigmoid),
             loss_bbox=dict(type='SmoothL1Loss', beta=1.0), train_cfg=RPN_TRAIN_CFG))


def rpn_inputs():
    # mmdet's TwoStageDetector sets every ground-truth label to 0 before the RPN
    gt = InstanceData(bboxes=torch.tensor([[12.0, 12.0, 40.0, 36.0]]), labels=torch.tensor([0]))
    meta = dict(img_shape=(IMG_SIZE, IMG_SIZE), pad_shape=(IMG_SIZE, IMG_SIZE),
                batch_input_shape=(IMG_SIZE, IMG_SIZE))
    return [gt], [meta]


def test_rpn_sigmoid_form_scores_label_zero_as_foreground():
    torch.manual_seed(0)
    head = build_rpn_head(use_sigmoid=True)
    assert head.cls_out_channels == 1
    # every anchor predicted foreground with logit 20: only background anchors cost anything
    with torch.no_grad():
        head.rpn_cls.weight.zero_()
        head.rpn_cls.bias.fill_(20.0)
    feats = torch.randn(1, 4, IMG_SIZE // 8, IMG_SIZE // 8)
    cls_scores, bbox_preds = head((feats, ))
    gt_instances, metas = rpn_inputs()
    losses = head.loss_by_feat(cls_scores, bbox_preds, gt_instances, metas)

    anchors, valid = head.get_anchors([feats.shape[-2:]], metas, device='cpu')
    labels, label_weights, *_, avg_factor = head.get_targets(anchors, valid, gt_instances, metas)
    sampled = label_weights[0] > 0
    num_fg = ((labels[0] == 0) & sampled).sum().item()
    num_bg = ((labels[0] == 1) & sampled).sum().item()
    assert 0 < num_fg < num_bg
    logit = torch.tensor(20.0)
    cost_of_background = 0.25 * F.softplus(logit) * torch.sigmoid(logit)**2  # Eq. (2), y = 0
    expected = cost_of_background * num_bg / avg_factor
    torch.testing.assert_close(sum(losses['loss_rpn_cls']), expected)
    assert all(torch.isfinite(loss) for loss in losses['loss_rpn_bbox'])


def test_rpn_softmax_form_builds_two_channels_and_trains():
    torch.manual_seed(0)
    head = build_rpn_head(use_sigmoid=False)
    assert head.cls_out_channels == 2
    cls_scores, bbox_preds = head((torch.randn(1, 4, IMG_SIZE // 8, IMG_SIZE // 8), ))
    losses = head.loss_by_feat(cls_scores, bbox_preds, *rpn_inputs())
    total = sum(losses['loss_rpn_cls']) + sum(losses['loss_rpn_bbox'])
    total.backward()
    assert torch.isfinite(total) and head.rpn_cls.weight.grad.abs().sum() > 0


def test_classify_subnet_softmax_over_background_and_two_classes():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='Shared2FCBBoxHead', in_channels=4, fc_out_channels=8, roi_feat_size=7,
             num_classes=2,
             bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                             target_stds=[0.1, 0.1, 0.2, 0.2]),
             loss_cls=dict(type='SkinFocalLoss', use_sigmoid=False),
             loss_bbox=dict(type='SmoothL1Loss', beta=1.0)))
    assert head.fc_cls.out_features == 3  # benign, malignant, background last
    cls_score, bbox_pred = head(torch.randn(4, 4, 7, 7))
    labels = torch.tensor([0, 1, 2, 2])
    rois = torch.tensor([[0.0, 0, 0, 10, 10]] * 4)
    bbox_weights = torch.zeros(4, 4)
    bbox_weights[:2] = 1
    losses = head.loss(cls_score, bbox_pred, rois, labels, torch.ones(4), torch.randn(4, 4),
                       bbox_weights)
    torch.testing.assert_close(losses['loss_cls'],
                               head.loss_cls(cls_score, labels, reduction_override='mean'))
    assert 'acc' in losses
    (losses['loss_cls'] + losses['loss_bbox']).backward()
    assert head.fc_cls.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('loss_mask', [
    dict(type='BCEJaccardLoss'),
    dict(type='BCEJaccardLoss', dice_weight=1.0),
    dict(type='BCEDiceLoss'),
])
@pytest.mark.parametrize('class_agnostic', [False, True])
def test_segment_subnet_loss_and_target(loss_mask, class_agnostic):
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='FCNMaskHead', num_convs=1, in_channels=4, conv_out_channels=4, num_classes=2,
             class_agnostic=class_agnostic, loss_mask=loss_mask))
    gt_mask = torch.zeros(1, IMG_SIZE, IMG_SIZE, dtype=torch.uint8)
    gt_mask[0, 14:40, 10:44] = 1
    gt = InstanceData(bboxes=torch.tensor([[10.0, 14.0, 44.0, 40.0]]), labels=torch.tensor([1]),
                      masks=BitmapMasks(gt_mask.numpy(), IMG_SIZE, IMG_SIZE))
    priors = torch.tensor([[8.0, 12.0, 46.0, 42.0], [14.0, 18.0, 40.0, 36.0], [0, 0, 9, 9]])
    assign = AssignResult(num_gts=1, gt_inds=torch.tensor([1, 1, 0]),
                          max_overlaps=torch.tensor([0.9, 0.7, 0.0]),
                          labels=torch.tensor([1, 1, -1]))
    sampling = SamplingResult(pos_inds=torch.tensor([0, 1]), neg_inds=torch.tensor([2]),
                              priors=priors, gt_bboxes=gt.bboxes, assign_result=assign,
                              gt_flags=torch.zeros(3, dtype=torch.uint8))

    mask_preds = head(torch.randn(2, 4, 14, 14))
    assert mask_preds.shape == (2, 1 if class_agnostic else 2, 28, 28)
    out = head.loss_and_target(mask_preds, [sampling], [gt], ConfigDict(mask_size=28))
    loss = out['loss_mask']['loss_mask']
    targets = out['mask_targets']
    assert targets.shape == (2, 28, 28) and targets.sum() > 0
    expected = head.loss_mask(mask_preds, targets, torch.tensor([1, 1]))
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert torch.isfinite(loss) and loss > 0
    assert head.conv_logits.weight.grad.abs().sum() > 0
