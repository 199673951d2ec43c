# Loss ablation "Original" (paper Tables III, VI): mmdet's cross-entropy in
# the RPN and the classify subnet (as the Jaccard ablation) and in the
# segment subnet (per-pixel BCE).
_base_ = './mask_rcnn_r101_fpn_jaccard.py'

model = dict(
    roi_head=dict(mask_head=dict(loss_mask=dict(_delete_=True, type='CrossEntropyLoss',
                                                use_mask=True))))
