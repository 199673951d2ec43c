# runtime settings
default_scope = 'mmdet'
custom_imports = dict(imports=['mmskin'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # Validation metrics are logged at their iteration (by epoch, an
    # iteration-based run would log them all at epoch 0).
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # One paper epoch is 1000 iterations: a checkpoint per epoch, the last
    # few kept; `--resume` picks up the newest one. Written atomically, so a
    # job killed while saving never leaves a truncated checkpoint behind.
    checkpoint=dict(
        type='AtomicCheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # A NaN or infinite loss stops training with the iteration and the loss
    # terms, before a checkpoint of corrupted weights is written.
    finite_loss=dict(type='FiniteLossHook'),
    # Anchor and RoI sampling repeat exactly after --resume.
    iteration_seed=dict(type='IterationSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; pass env_cfg.dist_cfg.backend=gloo for CPU-only runs.
    dist_cfg=dict(backend='nccl'),
)

# Scalars (losses, lr, validation metrics) go to
# <work_dir>/<timestamp>/vis_data/scalars.json, which
# tools/analysis/plot_training.py draws. For TensorBoard event files as well
# (pip install -r requirements-optional.txt), a config adds the line
#   visualizer = dict(vis_backends=_base_.vis_backends + [dict(type='TensorboardVisBackend')])
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)

log_level = 'INFO'
load_from = None
resume = False
