# ResNet-101, COCO initialisation (paper Tables IV, VII; Table V "Ours").
# The class-specific layers of the COCO weights (80 classes) do not fit 2
# classes: they keep their initialisation (load_from_reinit in the model's base).
_base_ = './mask_rcnn_r50_fpn_focaljac.py'

model = dict(backbone=dict(depth=101, init_cfg=None))  # COCO weights instead
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/mask_rcnn_r101_fpn_1x_coco/mask_rcnn_r101_fpn_1x_coco_20200204-1efe0ed5.pth'  # noqa: E501
