# Table VIII "Ours (ONLY ISIC2017)": as "Ours" (COCO initialisation,
# ResNet-101, 2 GPUs x 2 images), trained on the ISIC 2017 training set only
# and tested on the ISIC 2017 test set. Launch it on two GPUs:
#   bash tools/dist_train.sh configs/isic/mask_rcnn_r101_fpn_focaljac_cocoinit_2x2_isic2017.py 2
_base_ = './mask_rcnn_r101_fpn_focaljac_cocoinit.py'

auto_scale_lr = dict(base_batch_size=4)  # lr 1e-3 for a total batch of 4
train_dataloader = dict(dataset=dict(ann_file='annotations/isic2017_train_1024.json'))
