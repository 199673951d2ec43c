# The paper's model: Mask R-CNN R50-FPN, focal loss (Eq. 2) in the RPN and the
# classify subnet, BCE + Jaccard distance (Eq. 5) in the segment subnet,
# ImageNet initialisation, 2 images per GPU, three-phase schedule.
_base_ = [
    '../_base_/models/mask_rcnn_r50_fpn_isic.py',
    '../_base_/datasets/isic_instance.py',
    '../_base_/schedules/three_phase_160e.py',
    '../_base_/default_runtime.py',
]
