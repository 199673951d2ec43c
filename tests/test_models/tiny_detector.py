"""A tiny SkinLesionMaskRCNN the model tests share."""
from mmengine.config import ConfigDict

#: Channels of the tiny ResNet-18-FPN.
CH = 8


def tiny_model_cfg(instance_masks=False, score_thr=0.05, **lesion_cfg) -> ConfigDict:
    """The config of a SkinLesionMaskRCNN of a few thousand weights
    (``lesion_cfg`` for its results combination)."""
    roi = dict(type='RoIAlign', sampling_ratio=0)
    return ConfigDict(
        type='SkinLesionMaskRCNN',
        lesion_cfg=lesion_cfg,
        instance_masks=instance_masks,
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1],
                               pad_size_divisor=32),
        backbone=dict(type='ResNet', depth=18, base_channels=CH, num_stages=4,
                      out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN'), style='pytorch'),
        neck=dict(type='FPN', in_channels=[CH, 2 * CH, 4 * CH, 8 * CH], out_channels=CH,
                  num_outs=5),
        rpn_head=dict(
            type='RPNHead', in_channels=CH, feat_channels=CH,
            anchor_generator=dict(type='AnchorGenerator', scales=[4], ratios=[0.5, 1.0, 2.0],
                                  strides=[4, 8, 16, 32, 64]),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                            target_stds=[1.0] * 4),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True),
            loss_bbox=dict(type='L1Loss')),
        roi_head=dict(
            type='StandardRoIHead',
            bbox_roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(roi, output_size=7),
                                    out_channels=CH, featmap_strides=[4, 8, 16, 32]),
            bbox_head=dict(
                type='SkinLesionBBoxHead', in_channels=CH, fc_out_channels=16,
                roi_feat_size=7, num_classes=2,
                bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                                target_stds=[0.1, 0.1, 0.2, 0.2]),
                loss_cls=dict(type='CrossEntropyLoss'), loss_bbox=dict(type='L1Loss')),
            mask_roi_extractor=dict(type='SingleRoIExtractor',
                                    roi_layer=dict(roi, output_size=14), out_channels=CH,
                                    featmap_strides=[4, 8, 16, 32]),
            mask_head=dict(type='FCNMaskHead', num_convs=1, in_channels=CH,
                           conv_out_channels=CH, num_classes=2,
                           loss_mask=dict(type='CrossEntropyLoss', use_mask=True))),
        train_cfg=None,
        test_cfg=dict(
            rpn=dict(nms_pre=200, max_per_img=50, nms=dict(type='nms', iou_threshold=0.7),
                     min_bbox_size=0),
            rcnn=dict(score_thr=score_thr, nms=dict(type='nms', iou_threshold=0.5), max_per_img=20,
                      mask_thr_binary=0.5)))
