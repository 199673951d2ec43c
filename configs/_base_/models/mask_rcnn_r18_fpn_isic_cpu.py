# model settings: the paper's model (mask_rcnn_r50_fpn_isic.py) sized to
# train from scratch on a 2-core CPU: ResNet-18 without pretrained weights
# (no download), 64-channel neck and heads instead of 256.
_base_ = './mask_rcnn_r50_fpn_isic.py'

channels = 64

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
            # from malignant synthetic lesions within 300 iterations.
            loss_cls=dict(loss_weight=10.0)),
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(in_channels=channels, conv_out_channels=channels)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=64))))
