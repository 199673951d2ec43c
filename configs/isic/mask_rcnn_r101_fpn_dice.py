# Loss ablation "Dice Loss (DL)" (paper Tables III, VI): cross-entropy in the
# RPN and the classify subnet, per-pixel BCE + Dice distance masks.
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    rpn_head=dict(loss_cls=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True)),
    roi_head=dict(
        bbox_head=dict(loss_cls=dict(_delete_=True, type='CrossEntropyLoss')),
        mask_head=dict(loss_mask=dict(_delete_=True, type='BCEDiceLoss'))))
