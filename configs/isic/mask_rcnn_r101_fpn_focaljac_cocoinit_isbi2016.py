# Table V "Ours (ONLY ISBI2016)": as "Ours", trained on the ISBI 2016
# training set only and tested on the ISBI 2016 test set.
_base_ = './mask_rcnn_r101_fpn_focaljac_cocoinit.py'

train_dataloader = dict(dataset=dict(ann_file='annotations/isbi2016_train_1024.json'))
test_dataloader = dict(dataset=dict(ann_file='annotations/isbi2016_test.json'))
