# Multi-task ablation "Seg" (paper Table X): the segment subnet only. No
# benign / malignant classification and no box regression: the RoI head only
# scores lesion against background (to pick the lesion's RoI) and predicts
# one class-agnostic mask; every lesion is trained as class 0, "lesion".
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    roi_head=dict(bbox_head=dict(num_classes=1, with_reg=False), mask_head=dict(num_classes=1)))
# Every lesion is trained as "lesion" (labels to 0 just before packing), so
# lesions whose diagnosis is unknown are as good as any.
train_dataloader = dict(dataset=dict(allow_unknown_labels=True, pipeline=[
    step for base in _base_.train_pipeline for step in (
        [dict(type='ClassAgnosticLabels'), base] if base['type'] == 'PackDetInputs' else [base])]))
val_evaluator = [dict(type='ISICSegMetric')]
test_evaluator = val_evaluator
