# The built-in demo (tools/run_demo.sh): the paper's model and losses, sized
# to train from scratch on a 2-core CPU in about ten minutes on synthetic
# lesions. Everything below is what differs from mask_rcnn_r50_fpn_focaljac.py.
_base_ = './mask_rcnn_r50_fpn_focaljac.py'

img_scale = (256, 256)  # instead of 1024 x 1024
channels = 64  # neck and head width, instead of 256
data_root = 'data/demo/'  # written by tools/misc/generate_synthetic_isic.py

# model: ResNet-18 from scratch (no download), thin neck and heads.
model = dict(
    # From scratch, BatchNorm must learn its statistics: with frozen
    # (norm_eval) statistics of a fresh network the un-normalised
    # activations blow up the gradients.
    backbone=dict(depth=18, init_cfg=None, norm_eval=False),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(
            in_channels=channels, fc_out_channels=256,
            # The Jaccard term of Eq. (5) dominates the clipped gradient
            # (norm 5) and Eq. (2) scales the classify subnet's loss by
            # alpha = 0.25: weighted 10, the classifier separates benign
            # from malignant within 300 iterations from scratch.
            loss_cls=dict(loss_weight=10.0)),
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(in_channels=channels, conv_out_channels=channels)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=64))))

# data: synthetic ISIC 2017 layout converted by the ISIC converter.
# The base pipelines with the smaller input size (and the same augmentation):
# the Resize and Pad steps are found by their type, not their position.
input_size = dict(Resize=dict(scale=img_scale), Pad=dict(size=img_scale))
train_pipeline = [
    dict(step, **input_size.get(step['type'], {})) for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, **input_size.get(step['type'], {})) for step in _base_.test_pipeline
]
train_dataloader = dict(
    batch_size=4,  # instead of 2
    dataset=dict(
        # the long-side-256 copy (tools/dataset_converters/resize_isic_split.py)
        data_root=data_root, ann_file='annotations/isic2017_train_256.json',
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='annotations/isic2017_test.json',
        pipeline=test_pipeline))

# schedule: 300 iterations at lr 0.02 after a 50-iteration warm-up, lr / 10
# for the last 60; from scratch every layer trains from the start (the
# paper's phases assume pretrained weights to keep frozen).
max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
# No validation while training: tools/run_demo.sh tests the final model.
val_dataloader = None
val_cfg = None
val_evaluator = None
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[240], gamma=0.1),
]
custom_hooks = [
    dict(type='ThreePhaseTrainingHook', phases=[dict(begin=0, trainable='all')]),
    dict(type='IterationSeedHook'),
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=100))
log_processor = dict(window_size=10)

# A fixed seed: the demo's figures repeat from run to run on one machine (across
# machines, see the README's reliability section).
randomness = dict(seed=0)
