# COCO initialisation, 2 GPUs x 2 images (paper Tables IV, VII). Launch:
#   bash tools/dist_train.sh configs/isic/mask_rcnn_r50_fpn_focaljac_cocoinit_2x2.py 2
# The paper keeps lr 1e-3 for this total batch of 4 (III-B).
_base_ = './mask_rcnn_r50_fpn_focaljac_cocoinit.py'

# lr 1e-3 belongs to a total batch of 4: `--auto-scale-lr` keeps it on 2 GPUs.
auto_scale_lr = dict(base_batch_size=4)
