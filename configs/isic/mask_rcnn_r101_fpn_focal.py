# Loss ablation "Focal Loss (FL)" (paper Tables III, VI): the focal loss of
# Eq. (2) in the RPN and the classify subnet, per-pixel BCE masks.
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    roi_head=dict(
        mask_head=dict(loss_mask=dict(_delete_=True, type='CrossEntropyLoss', use_mask=True))))
