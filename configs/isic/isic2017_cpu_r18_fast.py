# The real-data CPU recipe (isic2017_cpu_r18.py) computed faster on a CPU:
# the same model, data, optimizer and schedule. What differs, and why
# (docs/performance.md, training on a CPU):
_base_ = './isic2017_cpu_r18.py'

model = dict(
    # Convolutions of the backbone and the neck in bfloat16 where the CPU
    # computes it natively (avx512_bf16, amx_bf16), float32 elsewhere;
    # weights, heads and losses in float32.
    train_feature_dtype='auto',
    # RoIAlign averages 2 x 2 points per bin, not one per feature pixel the
    # bin covers: its backward is the costliest RoI operation. With the grid
    # fixed, it is a sparse matrix product on all threads (mmcv's CPU kernel
    # runs on one): the same values up to float rounding.
    roi_head=dict(
        bbox_roi_extractor=dict(type='LesionRoIExtractor',
                                roi_layer=dict(type='SparseRoIAlign', sampling_ratio=2)),
        mask_roi_extractor=dict(type='LesionRoIExtractor',
                                roi_layer=dict(type='SparseRoIAlign', sampling_ratio=2))),
    train_cfg=dict(
        # Proposals for 256-pixel inputs, not mmdet's 2000 / 1000 for
        # 1333-pixel COCO images (a 256 x 256 input has 1/16 of the pixels).
        rpn_proposal=dict(nms_pre=500, max_per_img=300),
        # 32 RoIs per image for the box and mask heads (25 % positive).
        rcnn=dict(sampler=dict(num=32))))
# torch's fused AdamW kernel: one pass over each parameter, not a loop of
# elementwise operations.
optim_wrapper = dict(optimizer=dict(fused=True))
