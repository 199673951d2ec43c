import copy

import mmengine
import torch
from mmdet.evaluation import DumpDetResults

from mmskin.evaluation.metrics import AtomicDumpDetResults


def _sample():
    masks = torch.zeros(2, 6, 8, dtype=torch.bool)
    masks[0, 1:4, 2:5] = True
    masks[1, 2:6, 0:3] = True
    return dict(img_path='ISIC_0000001.jpg', ori_shape=(6, 8),
                pred_instances=dict(bboxes=torch.tensor([[2., 1., 5., 4.], [0., 2., 3., 6.]]),
                                    scores=torch.tensor([0.9, 0.4]),
                                    labels=torch.tensor([0, 1]), masks=masks),
                gt_instances=dict(bboxes=torch.zeros(1, 4)))


def test_the_dump_holds_what_mmdets_holds(tmp_path):
    theirs, ours = tmp_path / 'mmdet.pkl', tmp_path / 'ours.pkl'
    for metric_type, path in ((DumpDetResults, theirs), (AtomicDumpDetResults, ours)):
        metric = metric_type(out_file_path=str(path))
        metric.process({}, [copy.deepcopy(_sample())])
        assert metric.evaluate(1) == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mmdet.pkl', 'ours.pkl']
    # Same content (the tensors' storage ids inside the pickles differ).
    theirs, ours = mmengine.load(theirs), mmengine.load(ours)
    assert len(ours) == len(theirs) == 1
    assert ours[0].keys() == theirs[0].keys() == {'img_path', 'ori_shape', 'pred_instances'}
    pred, expected = ours[0]['pred_instances'], theirs[0]['pred_instances']
    assert pred['masks'] == expected['masks']  # RLE dicts
    assert len(pred['masks']) == 2 and set(pred['masks'][0]) == {'size', 'counts'}
    for key in ('bboxes', 'scores', 'labels'):
        assert torch.equal(pred[key], expected[key])
