# The built-in demo (tools/run_demo.sh): the paper's model and losses sized to
# train from scratch on a 2-core CPU in about ten minutes, on synthetic
# lesions in the ISIC 2017 layout converted by the ISIC converter.
_base_ = [
    '../_base_/models/mask_rcnn_r18_fpn_isic_cpu.py',
    '../_base_/datasets/isic_instance_256.py',
    '../_base_/schedules/cpu_scratch_300i.py',
    '../_base_/default_runtime.py',
]

data_root = 'data/demo/'  # written by tools/misc/generate_synthetic_isic.py
train_dataloader = dict(
    dataset=dict(
        # the long-side-256 copy (tools/dataset_converters/resize_isic_split.py)
        data_root=data_root, ann_file='annotations/isic2017_train_256.json'))
test_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/isic2017_test.json'))

# A short run: a log line and a loss point every 10 iterations.
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=100))
log_processor = dict(window_size=10)
