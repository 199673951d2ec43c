# COCO initialisation (paper Tables IV, VII): mmdet's COCO Mask R-CNN weights.
# Their class-specific layers (80 COCO classes) do not fit 2 classes: they
# keep their random initialisation (load_from_reinit in the model's base).
_base_ = './mask_rcnn_r50_fpn_focaljac.py'

model = dict(backbone=dict(init_cfg=None))  # COCO weights replace ImageNet's
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth'  # noqa: E501
