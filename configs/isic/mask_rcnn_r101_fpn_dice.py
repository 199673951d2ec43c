# Loss ablation "Dice Loss (DL)" (paper Tables III, VI): cross-entropy in the
# RPN and the classify subnet (as the Jaccard ablation), per-pixel BCE + Dice
# distance masks.
_base_ = './mask_rcnn_r101_fpn_jaccard.py'

model = dict(roi_head=dict(mask_head=dict(loss_mask=dict(_delete_=True, type='BCEDiceLoss'))))
