# dataset settings: ISIC images converted to COCO instance files, one lesion
# (benign or malignant) per image; data preparation of paper II-A.
img_scale = (1024, 1024)  # (w, h) of every network input (II-A-1)
dataset_type = 'ISICDataset'
data_root = 'data/isic/'
backend_args = None

train_pipeline = [
    # 3-channel uint8 BGR whatever the file holds (grayscale, RGBA and 16-bit
    # PNGs included: alpha is dropped, 16 bits keep the high byte). An EXIF
    # orientation tag is ignored so that the image keeps the stored pixel grid
    # of its ground-truth mask (PNG masks carry no orientation).
    dict(
        type='LoadImageFromFile', color_type='color_ignore_orientation',
        backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    # II-A-1: long side to 1024 keeping the aspect ratio, then zero padding
    # (bottom and right) of the raw image to 1024 x 1024; the mean is
    # subtracted afterwards, by the model's data_preprocessor (II-A-2).
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='Pad', size=img_scale,
        pad_val=dict(img=(0, 0, 0), masks=0, seg=255)),
    # II-A-3: each sample is, with equal probability, the original or one of
    # five transformed versions. Augmenting after padding follows the paper's
    # order (size organisation, then augmentation).
    dict(
        type='RandomChoice',
        transforms=[
            [],  # the original image
            [dict(type='RandomFlip', prob=1.0, direction='horizontal')],
            [dict(type='RandomFlip', prob=1.0, direction='vertical')],
            # Ranges not in the paper: see RandomAffineWithMasks.
            [dict(type='RandomAffineWithMasks')],
            [dict(type='UniformBrightness', min_mag=0.8, max_mag=1.5)],
            # Sigma range not in the paper: see GaussianBlur.
            [dict(type='GaussianBlur', sigma_range=(0.0, 5.0))],
        ]),
    # The detection label is the tight box of the (transformed) mask (III-A).
    dict(type='BoxFromMask'),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(
        type='LoadImageFromFile', color_type='color_ignore_orientation',
        backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='Pad', size=img_scale,
        pad_val=dict(img=(0, 0, 0), masks=0, seg=255)),
    # Loaded after resizing so the ground truth stays at the original
    # resolution, where the ISIC metrics are computed (III-C).
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

# Loader workers: one already reads ~50 resized images/s on one core, several
# times what a GPU trains on; the second is slack for the augmentation, and
# persistent workers start once (benchmarks/loader_workers.py,
# docs/performance.md). pin_memory stays mmdet's default (off): not measured.
train_dataloader = dict(
    batch_size=2,  # images per GPU (III-B)
    num_workers=2,
    persistent_workers=True,
    # The schedule counts iterations (1000 per paper "epoch").
    sampler=dict(type='InfiniteSampler', shuffle=True),
    # No AspectRatioBatchSampler: every input is padded to the same square.
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # The long-side-1024 copy of the converted split
        # (tools/dataset_converters/resize_isic_split.py): the pipeline's Resize
        # is then a no-op and each image decodes at 1024 instead of up to 6000 px.
        ann_file='annotations/archive_train_1024.json',
        data_prefix=dict(img=''),
        # No min_size: small lesions are valid samples.
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/isic2017_val.json',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/isic2017_test.json',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))

# ISIC 2017 Part 1 segmentation (JA, DI, AC, SE, SP) and Part 3
# classification (AC, AUC, AP, SE, SP) metrics (III-C).
val_evaluator = [dict(type='ISICSegMetric'), dict(type='ISICClsMetric')]
test_evaluator = val_evaluator

# Test-time augmentation (tools/test.py --tta, tools/infer.py --tta): the
# views are merged into the one lesion of each image (mean p_malignant, mask
# of the mean mask probability). Without a tta_pipeline here it is the test
# pipeline with the photo, its horizontal and its vertical flip right after
# Resize (mmskin.apis.tta_pipeline_from_test), so a config that changes the
# test pipeline changes its views too; set tta_pipeline to choose others.
tta_model = dict(type='LesionTTAModel')
