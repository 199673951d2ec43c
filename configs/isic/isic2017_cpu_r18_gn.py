# The real-data CPU recipe (tools/run_real_cpu.sh): the BatchNorm recipe
# (isic2017_cpu_r18_hour.py) with GroupNorm, as mmdet's configs/scratch train
# Mask R-CNN from scratch (He, Girshick and Dollár, "Rethinking ImageNet
# Pre-training", ICCV 2019): batches of 4 images give BatchNorm noisy
# statistics, GroupNorm's do not depend on the batch. GN in the backbone, the
# neck and the heads (4 shared convs + 1 FC in the box head), no weight decay
# on the norm parameters. Built on the fast leaf with the BatchNorm recipe's
# length, at most three configs deep; it segments better than the BatchNorm
# recipe and ranks melanoma as well (docs/real_data_cpu.md).
_base_ = './isic2017_cpu_r18_fast.py'

norm_cfg = dict(type='GN', num_groups=32, requires_grad=True)
model = dict(
    # Residual blocks start as mmdet's scratch configs start them, with the
    # last norm of each at weight 1, not 0.
    backbone=dict(norm_cfg=norm_cfg, zero_init_residual=False),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(num_shared_convs=4, num_shared_fcs=1,
                       conv_out_channels=_base_.channels, norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.))
# The recipe's length (isic2017_cpu_r18_hour.py).
train_cfg = dict(max_iters=5600)
default_hooks = dict(checkpoint=dict(interval=700, max_keep_ckpts=8))
