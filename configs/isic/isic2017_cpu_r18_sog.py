# The BatchNorm recipe with colour constancy: Shades of Gray (Minkowski
# norm p = 6; Finlayson and Trezzi 2004; for dermoscopy Barata et al., IEEE
# JBHI 2015) on every photo right after loading, in training and testing
# (and so in each test-time view and in tools/infer.py).
# It is the BatchNorm recipe (isic2017_cpu_r18_hour.py) with one more step:
# built on the fast leaf with its length and checkpoints, so that it stays at
# most three configs deep (the test of this leaf compares the two).
_base_ = './isic2017_cpu_r18_fast.py'

train_cfg = dict(max_iters=5600)
default_hooks = dict(checkpoint=dict(interval=700, max_keep_ckpts=8))

color_constancy = dict(type='ShadesOfGray', power=6)
train_pipeline = [
    s for step in _base_.train_pipeline
    for s in ([step, color_constancy] if step['type'] == 'LoadImageFromFile' else [step])
]
test_pipeline = [
    s for step in _base_.test_pipeline
    for s in ([step, color_constancy] if step['type'] == 'LoadImageFromFile' else [step])
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
