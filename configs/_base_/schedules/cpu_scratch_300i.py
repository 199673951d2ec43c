# training schedule of the CPU-sized configs: 300 iterations from scratch at
# lr 0.02 after a 50-iteration warm-up, lr / 10 for the last fifth. Every
# layer trains from the start: the paper's phases keep pretrained weights
# frozen, and from scratch there are none. The length is one value,
# train_cfg.max_iters; the lr step is a fraction of it and follows.
_base_ = './three_phase_160e.py'

train_cfg = dict(max_iters=300)
# No validation while training (the CPU dataset base has no val_dataloader):
# the tools test the final model.
val_cfg = None
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=0.01, end=50),
    dict(_base_.lr_step, milestones=[0.8]),
]
custom_hooks = []

# A fixed seed: the figures of a CPU-sized run repeat from run to run on one
# machine (across machines, see docs/reliability.md).
randomness = dict(seed=0)
