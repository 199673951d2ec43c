# Table V "Ours": trained on the ISIC archive (13,750 images), COCO
# initialisation, ResNet-101, 1 GPU x 2 images, tested on the ISBI 2016 test
# set (classification).
_base_ = './mask_rcnn_r101_fpn_focaljac_cocoinit.py'

test_dataloader = dict(dataset=dict(ann_file='annotations/isbi2016_test.json'))
