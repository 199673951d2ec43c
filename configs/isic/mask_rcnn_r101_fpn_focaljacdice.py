# Loss ablation "FL+JL+DL" (paper Tables III, VI): focal loss (Eq. 2), and
# BCE + Jaccard distance (Eq. 5) + Dice distance masks.
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(roi_head=dict(mask_head=dict(loss_mask=dict(dice_weight=1.0))))
