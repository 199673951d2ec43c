# Multi-task ablation "Cls" (paper Table IX): the classify subnet only: no
# box regression (as Cls+Seg) and no segment subnet (no mask RoI extractor,
# head or loss). The lesion mask comes out empty: classification scores only.
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    roi_head=dict(bbox_head=dict(with_reg=False), mask_roi_extractor=None, mask_head=None))
val_evaluator = [dict(type='ISICClsMetric')]
test_evaluator = val_evaluator
