# Loss ablation "Jaccard Loss (JL)" (paper Tables III, VI): cross-entropy in
# the RPN and the classify subnet, BCE + Jaccard distance masks (Eq. 5). The
# "Original" and "Dice Loss" ablations share its cross-entropy and change
# only the masks' loss.
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(
    rpn_head=dict(loss_cls=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True)),
    roi_head=dict(bbox_head=dict(loss_cls=dict(_delete_=True, type='CrossEntropyLoss'))))
