# ResNet-101, ImageNet initialisation, 1 GPU x 2 images, focal + Jaccard
# losses: the setting of the loss and multi-task ablations (paper Tables III,
# VI, IX, X) and a row of the hyper-parameter grid (Tables IV, VII). It lists
# the bases itself, so that the ablations on top of it stay three deep.
_base_ = [
    '../_base_/models/mask_rcnn_r50_fpn_isic.py',
    '../_base_/datasets/isic_instance.py',
    '../_base_/schedules/three_phase_160e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
