# ResNet-101, ImageNet initialisation, 1 GPU x 2 images, focal + Jaccard
# losses: the setting of the loss and multi-task ablations (paper Tables III,
# VI, IX, X) and a row of the hyper-parameter grid (Tables IV, VII).
_base_ = './mask_rcnn_r50_fpn_focaljac.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
