# dataset settings of the CPU-sized configs: isic_instance.py's pipelines
# (the same augmentation) at 256 x 256 inputs, 4 images per batch.
_base_ = './isic_instance.py'

img_scale = (256, 256)
# The Resize and Pad steps are found by their type, not their position.
input_size = dict(Resize=dict(scale=img_scale), Pad=dict(size=img_scale))
train_pipeline = [
    dict(step, **input_size.get(step['type'], {})) for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, **input_size.get(step['type'], {})) for step in _base_.test_pipeline
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# No validation while training (val_cfg = None in the CPU schedule): the
# tools test the final model.
val_dataloader = None
val_evaluator = None
