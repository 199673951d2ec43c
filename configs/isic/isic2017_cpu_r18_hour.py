# The BatchNorm recipe (tools/run_real_cpu.sh trains this leaf with
# GroupNorm, isic2017_cpu_r18_gn.py): the fast leaf
# (isic2017_cpu_r18_fast.py: the same model and optimizer, computed in
# bfloat16 where the CPU has it) spending the hour the float32 recipe needed
# for 4000 iterations on 5600. It trains on the training part of the
# calib15 split (configs/isic/splits/isic2017_train_calib15_*.txt: 1445
# training, 255 calibration and the same 300 validation images as the
# 1700 / 300 split), so that the operating point and the calibration are
# fitted on images it never saw (docs/real_data_cpu.md).
_base_ = './isic2017_cpu_r18_fast.py'

# 5600 iterations of 4 images, about 15.5 passes over the 1445 training
# images; the lr step follows the length (lr / 10 for the last 1120).
train_cfg = dict(max_iters=5600)
default_hooks = dict(checkpoint=dict(interval=700, max_keep_ckpts=8))
