# training schedule: the paper's three phases (III-B), 40 + 80 + 40 "epochs"
# of 1000 iterations. The run's length is the one value a config changes,
# train_cfg.max_iters: the phase boundaries and the lr step below are
# fractions of it (ThreePhaseTrainingHook, RelativeMultiStepLR), so they
# move with it; the warm-up keeps its length in iterations.
iters_per_epoch = 1000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=160 * iters_per_epoch,
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

# Which layers train in each phase (ThreePhaseTrainingHook; the model is
# built fully trainable and the hook freezes the rest); each `begin` is the
# fraction of the run at which its phase starts. The paper's TensorFlow
# set-up (SGD lr 1e-3, momentum 0.9, weight decay 1e-4, 1000 training and 50
# validation steps per epoch, 2 images per GPU, 40/120/160 cumulative
# epochs, lr / 10 in the last phase) is that of Matterport's Mask R-CNN COCO
# script, and its phases are that script's layers='heads', '4+' and 'all'.
# - Phase 1, "the three convolution subnets": Matterport's 'heads', which
#   trains the RPN and the FPN with the three subnets (RoI heads). Only the
#   backbone is pretrained (ImageNet): read strictly (RoI heads only), the
#   randomly initialised FPN and RPN would stay frozen for 40k iterations,
#   the subnets learning from random FPN features on random proposals.
#   configs/isic/mask_rcnn_r50_fpn_focaljac_strictphase1.py keeps that
#   reading.
# - Phase 2, "the layers from the RPN and up": Matterport's '4+', "ResNet
#   stage 4 and up": the last two ResNet stages (mmdet backbone.layer3 and
#   layer4 = res4, res5), FPN, RPN, RoI heads.
# - Phase 3: everything, lr 1e-4 (lr_step below).
train_phases = [
    dict(begin=0, trainable=['neck', 'rpn_head', 'roi_head']),
    dict(begin=40 / 160,
         trainable=['backbone.layer3', 'backbone.layer4', 'neck', 'rpn_head',
                    'roi_head']),
    dict(begin=120 / 160, trainable='all'),
]
phase_hook = dict(type='ThreePhaseTrainingHook', phases=train_phases)
custom_hooks = [phase_hook]

# learning rate: a short linear warm-up (not in the paper), then 1e-3 until
# phase 3, 1e-4 after. Without `end` the Runner ends each at max_iters.
lr_step = dict(
    type='RelativeMultiStepLR', by_epoch=False,
    milestones=[train_phases[2]['begin']], gamma=0.1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    lr_step,
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
