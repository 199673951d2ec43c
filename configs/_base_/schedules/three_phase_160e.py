# training schedule: the paper's three phases (III-B). One paper "epoch" is
# 1000 iterations; 40 + 80 + 40 epochs.
iters_per_epoch = 1000
phase2_begin = 40 * iters_per_epoch  # RPN and up start training
phase3_begin = 120 * iters_per_epoch  # everything trains, lr 1e-4
max_iters = 160 * iters_per_epoch

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=10 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# optimizer (III-B): SGD, lr 1e-3, momentum 0.9, weight decay 1e-4.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-4))

# learning rate: a short linear warm-up (not in the paper), then 1e-3 until
# phase 3, 1e-4 after.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[phase3_begin], gamma=0.1),
]

# The paper trains with 2 images per GPU on one GPU ("1 x 2");
# `--auto-scale-lr` scales lr linearly with the total batch.
auto_scale_lr = dict(enable=False, base_batch_size=2)
