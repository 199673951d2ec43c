# Loss ablation "Original" (paper Tables III, VI): mmdet's cross-entropy in
# the RPN, the classify subnet and the segment subnet (per-pixel BCE).
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    rpn_head=dict(loss_cls=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True)),
    roi_head=dict(
        bbox_head=dict(loss_cls=dict(_delete_=True, type='CrossEntropyLoss')),
        mask_head=dict(loss_mask=dict(_delete_=True, type='CrossEntropyLoss', use_mask=True))))
