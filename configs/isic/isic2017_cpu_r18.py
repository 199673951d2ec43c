# The real-data CPU recipe (tools/run_real_cpu.sh): the CPU-sized model
# (ResNet-18 from scratch, 64-channel neck and heads, 256 px inputs) trained
# on the 2000 ISIC 2017 training images, split by tools/misc/make_split.py
# (seed 0, stratified by melanoma) into 1700 for training and 300 for
# validation (configs/isic/splits/). Its figures and time:
# docs/real_data_cpu.md.
_base_ = [
    '../_base_/models/mask_rcnn_r18_fpn_isic_cpu.py',
    '../_base_/datasets/isic_instance_256.py',
    '../_base_/schedules/cpu_scratch_300i.py',
    '../_base_/default_runtime.py',
]

# data: the images stay where they are (never copied into the repository);
# tools/run_real_cpu.sh writes one COCO file per part of the split and
# passes their paths and the image folder (file_name is relative to it).
data_root = ''
img_prefix = '../shared/isic2017_train/'
ann_dir = 'work_dirs/isic2017_cpu_r18/annotations/'

model = dict(
    roi_head=dict(
        bbox_head=dict(
            # Every step is clipped to norm 5 and almost all of the raw
            # gradient comes from the Jaccard term: the classify subnet's
            # weight decides how much the shared features learn of what
            # tells melanoma apart.
            loss_cls=dict(loss_weight=30.0))),
    # The lesion is the box most likely to hold a lesion of either class
    # (1 - p(background)), not the one with the highest class score: on
    # real lesions the classify subnet stays unsure of benign against
    # malignant, every class score sits near half the foreground mass and no
    # longer tells a box around the whole lesion from one around part of it.
    lesion_cfg=dict(rank='lesion'))

# Melanoma is not oversampled (mmengine's ClassBalancedDataset): it did not
# help (docs/real_data_cpu.md).
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=ann_dir + 'train.json',
        data_prefix=dict(img=img_prefix)))
# Tested on the validation part of the split.
test_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=ann_dir + 'val.json',
        data_prefix=dict(img=img_prefix)))

# optimizer: AdamW instead of SGD. From scratch the Jaccard term's gradient
# is 10-50x the clipping norm, so SGD takes one normalised step for layers
# whose gradients differ by orders of magnitude; AdamW scales each
# parameter's step by its own gradient history. The clipping stays.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.05))
# schedule: 4000 iterations of 4 images (about 9.4 passes over the 1700
# training images), as many as fit in the hour with conversion and testing
# on two idle cores. The CPU schedule's lr step follows: lr / 10 for the
# last 800.
train_cfg = dict(max_iters=4000)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=10))
