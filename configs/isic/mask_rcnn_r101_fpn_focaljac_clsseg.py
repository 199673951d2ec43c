# Multi-task ablation "Cls+Seg" (paper Tables IX, X): no detect subnet. The
# classify subnet has no box-regression branch (no fc_reg, no loss_bbox), so
# the RoIs stay the RPN's proposals, unrefined, for the masks and the output.
_base_ = './mask_rcnn_r101_fpn_focaljac.py'

model = dict(roi_head=dict(bbox_head=dict(with_reg=False)))
