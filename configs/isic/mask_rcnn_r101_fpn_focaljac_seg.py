# Multi-task ablation "Seg" (paper Table X): the segment subnet only. No
# benign / malignant classification and no box regression: the RoI head only
# scores lesion against background (to pick the lesion's RoI) and predicts
# one class-agnostic mask; every lesion is trained as class 0, "lesion".
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    roi_head=dict(bbox_head=dict(num_classes=1, with_reg=False), mask_head=dict(num_classes=1)))
train_dataloader = dict(dataset=dict(pipeline=[  # labels to 0 before packing
    *_base_.train_pipeline[:-1], dict(type='ClassAgnosticLabels'), _base_.train_pipeline[-1]]))
val_evaluator = [dict(type='ISICSegMetric')]
test_evaluator = val_evaluator
