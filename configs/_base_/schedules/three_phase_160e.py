# training schedule: the paper's three phases (III-B). One paper "epoch" is
# 1000 iterations; 40 + 80 + 40 epochs. Each `*_begin` is the first
# (0-based) iteration of its phase. A config that shrinks the schedule must
# override train_cfg.max_iters, the LinearLR end, the MultiStepLR milestone
# and the hook's phases together: their values are fixed when this file is
# read.
iters_per_epoch = 1000
warmup_iters = 500
phase2_begin = 40 * iters_per_epoch  # RPN and up start training
phase3_begin = 120 * iters_per_epoch  # everything trains, lr 1e-4
max_iters = 160 * iters_per_epoch

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=10 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# optimizer (III-B): SGD, lr 1e-3, momentum 0.9, weight decay 1e-4.
# Gradient clipping is not in the paper; its TensorFlow set-up (Matterport's
# Mask R-CNN, see the phase table below) clips gradients at norm 5, and the
# Jaccard term of Eq. (5) (delta = 100, up to ~100x the BCE term) needs it.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=5.0, norm_type=2))

# learning rate: a short linear warm-up (not in the paper), then 1e-3 until
# phase 3, 1e-4 after.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[phase3_begin], gamma=0.1),
]

# Which layers train in each phase (ThreePhaseTrainingHook; the model is
# built fully trainable and the hook freezes the rest). The paper's
# TensorFlow set-up (SGD lr 1e-3, momentum 0.9, weight decay 1e-4, 1000
# training and 50 validation steps per epoch, 2 images per GPU, 40/120/160
# cumulative epochs, lr / 10 in the last phase) is that of Matterport's
# Mask R-CNN COCO script, and its phases are that script's layers='heads',
# '4+' and 'all'.
# - Phase 1, "the three convolution subnets": Matterport's 'heads', which
#   trains the RPN and the FPN with the three subnets (RoI heads). Only the
#   backbone is pretrained (ImageNet): read strictly (RoI heads only), the
#   randomly initialised FPN and RPN would stay frozen for 40k iterations,
#   the subnets learning from random FPN features on random proposals.
#   configs/isic/mask_rcnn_r50_fpn_focaljac_strictphase1.py keeps that
#   reading; the README compares the two on real images.
# - Phase 2, "the layers from the RPN and up": Matterport's '4+', "ResNet
#   stage 4 and up": the last two ResNet stages (mmdet backbone.layer3 and
#   layer4 = res4, res5), FPN, RPN, RoI heads.
# - Phase 3: everything, lr 1e-4 (the MultiStepLR milestone above).
train_phases = [
    dict(begin=0, trainable=['neck', 'rpn_head', 'roi_head']),
    dict(begin=phase2_begin,
         trainable=['backbone.layer3', 'backbone.layer4', 'neck', 'rpn_head',
                    'roi_head']),
    dict(begin=phase3_begin, trainable='all'),
]
custom_hooks = [
    dict(type='ThreePhaseTrainingHook', phases=train_phases),
    # Anchor and RoI sampling repeat exactly after --resume.
    dict(type='IterationSeedHook'),
]

# Frozen parameters get no gradient: DDP must look for unused parameters.
# device_ids=None lets DDP use the module's own device (mmengine's default,
# [LOCAL_RANK], fails for a model on the CPU).
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel',
    find_unused_parameters=True,
    broadcast_buffers=False,
    device_ids=None)

# The paper trains with 2 images per GPU on one GPU ("1 x 2") at lr 1e-3,
# and keeps lr 1e-3 on two GPUs ("2 x 2"). `--auto-scale-lr` instead scales
# lr linearly with the total batch (GPUs x samples per GPU) relative to
# base_batch_size.
auto_scale_lr = dict(enable=False, base_batch_size=2)
