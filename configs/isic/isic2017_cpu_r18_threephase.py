# Phase 1 of the three-phase schedule on real images (README, "Training"):
# the recipe's model, data and learning rate under the paper's three phases
# shrunk to 50 + 100 + 50 iterations (40 / 80 / 40 epochs scaled down).
# As in the paper only the backbone starts from trained weights: those of a
# recipe checkpoint (tools/misc/extract_weights.py), standing in for the
# ImageNet weights this comparison cannot download; the neck and heads start
# random. The phase table is the default's (Matterport's 'heads' first);
# the strict reading is the same run with
# --cfg-options "custom_hooks.0.phases.0.trainable=[roi_head]".
_base_ = './isic2017_cpu_r18.py'
backbone_weights = 'work_dirs/isic2017_cpu_r18/backbone.pth'
phase_begins = [0, 50, 150]
max_iters = 200

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=backbone_weights,
                      prefix='backbone.'),
        # Trained statistics, kept as the paper's model keeps ImageNet's.
        norm_eval=True))

train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    # A warm-up shorter than phase 1.
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    # lr / 10 in phase 3, as in the paper.
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[phase_begins[2]], gamma=0.1),
]
custom_hooks = [
    dict(type='ThreePhaseTrainingHook',
         phases=[dict(phase, begin=begin)
                 for phase, begin in zip(_base_.train_phases, phase_begins)]),
    dict(type='IterationSeedHook'),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
