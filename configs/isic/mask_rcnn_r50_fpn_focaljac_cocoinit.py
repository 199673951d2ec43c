# COCO initialisation (paper Tables IV, VII): mmdet's COCO Mask R-CNN weights.
# Their class-specific layers (80 COCO classes: bbox_head.fc_cls, fc_reg,
# mask_head.conv_logits) do not fit 2 classes; mmengine's non-strict loading
# skips them with a warning, and they keep their random initialisation.
_base_ = './mask_rcnn_r50_fpn_focaljac.py'

model = dict(backbone=dict(init_cfg=None))  # COCO weights replace ImageNet's
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth'  # noqa: E501
