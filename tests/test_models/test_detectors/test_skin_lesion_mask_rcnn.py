import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmskin.models.lesion_heads import LesionCombinationHead
from mmskin.evaluation.metrics import ISICClsMetric, ISICSegMetric
from mmskin.models.detectors import instances_to_original
from ..tiny_detector import tiny_model_cfg

ORI_SHAPE = (40, 60)
IMG_SHAPE = (64, 96)  # resized by 1.6, keeping the aspect ratio


@pytest.fixture(scope='module', autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def _build(**cfg):
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(**cfg)).eval()


@pytest.fixture(scope='module')
def model():
    return _build(instance_masks=True)


def _batch(label=1):
    gt_mask = np.zeros((1, ) + ORI_SHAPE, np.uint8)
    gt_mask[0, 10:30, 20:45] = 1
    sample = DetDataSample(metainfo=dict(
        img_id=3, img_path='data/ISIC_0000003.jpg', ori_shape=ORI_SHAPE, img_shape=IMG_SHAPE,
        scale_factor=(1.6, 1.6)))
    sample.gt_instances = InstanceData(labels=torch.tensor([label]),
                                       masks=BitmapMasks(gt_mask, *ORI_SHAPE))
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randint(0, 255, (3, ) + IMG_SHAPE, dtype=torch.uint8, generator=generator)
    return dict(inputs=[inputs], data_samples=[sample])


def test_predict_adds_one_lesion_at_original_resolution(model):
    with torch.no_grad():
        sample = model.test_step(_batch())[0]
    pred = sample.pred_instances
    assert len(pred) > 0, 'the untrained tiny model should still give detections'
    # every detection carries its RoI softmax, consistent with its score
    torch.testing.assert_close(pred.class_probs.sum(dim=1), torch.ones(len(pred)))
    torch.testing.assert_close(pred.class_probs[torch.arange(len(pred)), pred.labels],
                               pred.scores)
    lesion = sample.pred_lesion
    assert lesion.mask.shape == ORI_SHAPE and lesion.mask.dtype == torch.bool
    assert lesion.bbox.shape == (4, ) and lesion.detected
    assert 0.0 <= lesion.p_malignant <= 1.0 and lesion.pred_label == int(lesion.p_malignant > 0.5)
    expected = LesionCombinationHead(mode='top_roi')(pred, ORI_SHAPE)
    assert lesion.p_malignant == pytest.approx(expected.p_malignant)
    assert torch.equal(lesion.mask, expected.mask)
    torch.testing.assert_close(lesion.bbox, expected.bbox)
    assert (lesion.bbox[2:] <= torch.tensor([ORI_SHAPE[1], ORI_SHAPE[0]]) + 1e-3).all()


def test_predict_without_rescale_still_reports_at_original_resolution(model):
    data = model.data_preprocessor(_batch(), False)
    with torch.no_grad():
        rescaled = model.predict(data['inputs'], [s.clone() for s in data['data_samples']],
                                 rescale=True)[0]
        resized = model.predict(data['inputs'], data['data_samples'], rescale=False)[0]
    # mmdet's instance masks stay at the network input's size without rescale
    assert resized.pred_instances.masks.shape[-2:] == IMG_SHAPE
    assert resized.pred_lesion.mask.shape == ORI_SHAPE
    torch.testing.assert_close(resized.pred_lesion.bbox, rescaled.pred_lesion.bbox)
    assert resized.pred_lesion.p_malignant == pytest.approx(rescaled.pred_lesion.p_malignant)
    # nearest-neighbour resizing of the mask agrees with mmdet's pasting at
    # the original size on almost every pixel
    agree = (resized.pred_lesion.mask == rescaled.pred_lesion.mask).float().mean()
    assert agree > 0.9


def test_instances_to_original_scales_boxes_and_masks():
    masks = torch.zeros(1, 4, 6, dtype=torch.bool)
    masks[0, :2, :3] = True
    pred = InstanceData(bboxes=torch.tensor([[0., 0., 3., 2.]]), masks=masks)
    original = instances_to_original(pred, dict(ori_shape=(8, 12), scale_factor=(0.5, 0.5)))
    torch.testing.assert_close(original.bboxes, torch.tensor([[0., 0., 6., 4.]]))
    assert original.masks.shape == (1, 8, 12) and original.masks.dtype == torch.bool
    assert original.masks[0, :4, :6].all() and original.masks.sum() == 24
    assert pred.masks.shape == (1, 4, 6)  # the input is left alone


def test_model_output_feeds_the_isic_metrics(model, tmp_path):
    with torch.no_grad():
        sample = model.test_step(_batch(label=1))[0]
    seg = ISICSegMetric(out_dir=str(tmp_path))
    cls = ISICClsMetric(out_dir=str(tmp_path))
    for metric in (seg, cls):
        metric.process({}, [sample.to_dict()])
    seg_scores = seg.compute_metrics(seg.results)
    gt = np.zeros(ORI_SHAPE, bool)
    gt[10:30, 20:45] = True
    pred = sample.pred_lesion.mask.numpy()
    assert seg_scores['JA'] == pytest.approx((pred & gt).sum() / (pred | gt).sum())
    assert (tmp_path / 'masks' / 'ISIC_0000003_segmentation.png').is_file()
    cls_scores = cls.compute_metrics(cls.results)
    assert cls_scores['SE'] == float(sample.pred_lesion.p_malignant > 0.5)


def test_bad_lesion_cfg_fails_at_build():
    with pytest.raises(ValueError, match='lesion_cfg.mode'):
        MODELS.build(tiny_model_cfg(mode='mean'))
    with pytest.raises(ValueError, match="lesion_cfg .*'thr'"):
        MODELS.build(tiny_model_cfg(thr=0.3))


@pytest.mark.parametrize('rescale', [True, False])
@pytest.mark.parametrize('lesion_cfg', [dict(mode='top_roi'), dict(mode='union', score_thr=0.0),
                                        dict(mode='union', score_thr=0.3),
                                        dict(mode='top_roi', rank='lesion'),
                                        dict(mode='union', score_thr=0.5, rank='lesion')])
def test_masks_of_kept_detections_only_give_the_same_lesion(lesion_cfg, rescale):
    """Pasting only the kept detections' masks, each on its box region,
    gives the lesion of mmdet's full output: same pixels, probability, box."""
    full_model = _build(instance_masks=True, **lesion_cfg)
    fast_model = _build(**lesion_cfg)
    fast_model.load_state_dict(full_model.state_dict())
    data = full_model.data_preprocessor(_batch(), False)
    with torch.no_grad():
        full = full_model.predict(data['inputs'], [s.clone() for s in data['data_samples']],
                                  rescale=rescale)[0]
        fast = fast_model.predict(data['inputs'], data['data_samples'], rescale=rescale)[0]
    combination = fast_model.lesion_combination
    kept = combination.kept_indices(combination.ranks(fast.pred_instances))
    if lesion_cfg['mode'] == 'union':
        assert len(kept) > 1, 'the union should merge several detections here'
    assert full.pred_lesion.mask.any()
    assert torch.equal(fast.pred_lesion.mask, full.pred_lesion.mask)
    assert fast.pred_lesion.p_malignant == full.pred_lesion.p_malignant
    assert torch.equal(fast.pred_lesion.bbox, full.pred_lesion.bbox)
    assert (fast.pred_lesion.score, fast.pred_lesion.pred_label) == \
        (full.pred_lesion.score, full.pred_lesion.pred_label)
    # mmdet's instances without their masks
    assert 'masks' not in fast.pred_instances and 'masks' in full.pred_instances
    for key in ('bboxes', 'scores', 'labels', 'class_probs'):
        assert torch.equal(fast.pred_instances.get(key), full.pred_instances.get(key)), key


def test_no_detection_gives_an_empty_lesion_on_both_paths():
    for instance_masks in (False, True):
        model = _build(instance_masks=instance_masks)
        model.roi_head.test_cfg.score_thr = 1.1  # nothing passes
        with torch.no_grad():
            sample = model.test_step(_batch())[0]
        assert not sample.pred_lesion.detected and not sample.pred_lesion.mask.any()
        assert sample.pred_lesion.mask.shape == ORI_SHAPE
