# model settings: the paper's Mask R-CNN (II-B) on top of mmdet's R50-FPN one.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

num_classes = 2  # benign, malignant (mmskin.utils.ISIC_CLASSES)
# The layers whose shape follows num_classes. A `load_from` checkpoint of
# another class count (mmdet's 80-class COCO weights) may differ there: they
# keep their initialisation. Any other difference stops the run
# (mmskin.engine.LesionRunner); testing and --resume allow none.
load_from_reinit = ['roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg',
                    'roi_head.mask_head.conv_logits']

model = dict(
    type='SkinLesionMaskRCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # Zero-center normalisation (II-A-2): the RGB means of paper Table II,
        # no scaling.
        mean=[175.65, 147.35, 129.03],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=True,
        pad_mask=True,
        # The pipeline already pads to 1024x1024; 32 keeps smaller test-time
        # inputs valid for the FPN strides.
        pad_size_divisor=32),
    backbone=dict(
        # Built fully trainable: the three-phase hook owns freezing (mmengine
        # leaves parameters frozen at build time out of the optimizer).
        frozen_stages=-1,
        # Two images per GPU make batch statistics meaningless: BN keeps its
        # pretrained statistics (mmdet's default for detection).
        norm_eval=True,
        # ImageNet initialisation (paper III-B); COCO initialisation is a
        # `load_from` in the configs that use it.
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    # FPN P2-P5 plus P6 (max-pooled P5) for the RPN, as the paper's FPN (II-B-1).
    neck=dict(num_outs=5),
    rpn_head=dict(
        # Eq. (2): focal loss with alpha on both terms, beta = 2.
        loss_cls=dict(
            _delete_=True,
            type='SkinFocalLoss',
            use_sigmoid=True,
            alpha=0.25,
            beta=2.0,
            loss_weight=1.0),
        # Eq. (3): smooth L1 with beta 1. loss_weight 1.0 is the paper's
        # rho = 10 of Eq. (1) under mmdet's normalisation (docs/experiments.md, model table).
        loss_bbox=dict(
            _delete_=True, type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),
    roi_head=dict(
        bbox_head=dict(
            # Keeps each detection's softmax over {background, benign,
            # malignant} for the results combination (II-B-3).
            type='SkinLesionBBoxHead',
            num_classes=num_classes,
            # Classify subnet: Eq. (2) in its softmax form.
            loss_cls=dict(
                _delete_=True,
                type='SkinFocalLoss',
                use_sigmoid=False,
                alpha=0.25,
                beta=2.0,
                loss_weight=1.0),
            # Detect subnet: Eq. (3), "the same as" the RPN's (Eq. 4).
            loss_bbox=dict(
                _delete_=True, type='SmoothL1Loss', beta=1.0,
                loss_weight=1.0)),
        mask_head=dict(
            num_classes=num_classes,
            # Segment subnet: Eq. (5), per-pixel BCE + delta * Jaccard
            # distance with delta = 100.
            loss_mask=dict(
                _delete_=True, type='BCEJaccardLoss', delta=100.0,
                loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            # II-B-2: positive IoU > 0.7, negative < 0.3 (mmdet's defaults),
            # 256 anchors per image sampled 1:3 positive:negative.
            sampler=dict(num=256, pos_fraction=0.25)),
        # Not given in the paper: mmdet's 512 RoIs per image, 25 % positive.
        rcnn=dict(sampler=dict(num=512, pos_fraction=0.25))),
    test_cfg=dict(
        # Not given in the paper: mmdet's Mask R-CNN test settings.
        rcnn=dict(score_thr=0.05, max_per_img=100, mask_thr_binary=0.5)),
    # Results combination (II-B-3): one lesion per image from the detections.
    # Its settings and their defaults: LesionCombinationHead
    # (mmskin/models/lesion_heads/lesion_combination_head.py).
    lesion_cfg=dict(type='LesionCombinationHead'),
    # False: the mask head and the paste at the original size run only for
    # the detections the combination keeps, and pred_instances holds no
    # masks. True: mmdet's full output, a full-size mask for every detection
    # (tools/test.py turns it on for --out, --show(-dir) and CocoMetric).
    instance_masks=False)
