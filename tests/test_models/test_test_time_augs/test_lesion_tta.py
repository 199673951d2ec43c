import numpy as np
import pytest
import torch
from mmcv.transforms import Compose, TestTimeAug
from mmdet.registry import MODELS
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

from mmskin.apis.test_time_aug import tta_pipeline_from_test
from mmskin.models.test_time_augs import LesionTTAModel
from mmskin.utils import tight_box
from ..tiny_detector import tiny_model_cfg

H, W = 40, 60
META_KEYS = ('img_id', 'ori_shape', 'img_shape', 'scale_factor')


@pytest.fixture(scope='module', autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def _tiny_detector():
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(score_thr=0.0)).eval()


def _pixelwise_test_step(data):
    """A stand-in for the detector whose lesion is read off the pixels: mask
    probability = channel 0 / 255 (so it flips with the image),
    p_malignant = mean of channel 1 / 255 over the top-left quadrant (so each
    flip sees another quadrant)."""
    samples = []
    for image, sample in zip(data['inputs'], data['data_samples']):
        prob = image[0].float() / 255
        mask = prob >= 0.5
        sample.pred_lesion = BaseDataElement(
            p_malignant=float(image[1, :H // 2, :W // 2].float().mean() / 255), pred_label=0,
            score=1.0, bbox=torch.from_numpy(tight_box(mask.numpy())), mask=mask,
            mask_prob=prob, detected=True)
        samples.append(sample)
    return samples


@pytest.fixture(scope='module')
def pixelwise_tta():
    detector = _tiny_detector()
    detector.test_step = _pixelwise_test_step
    return LesionTTAModel(module=detector)


def _pipelines(pad=False):
    test = [dict(type='LoadImageFromNDArray'),
            dict(type='Resize', scale=(W, H), keep_ratio=True)]
    test += [dict(type='Pad', size=(64, 64))] if pad else []
    test += [dict(type='PackDetInputs', meta_keys=META_KEYS)]
    return Compose(test), Compose(tta_pipeline_from_test(test))


def _run(model, pipeline, image):
    with torch.no_grad():
        return model.test_step(pseudo_collate([pipeline(dict(img=image, img_id=0))]))[0]


def _image(lesion, quadrant_values):
    image = np.zeros((H, W, 3), np.uint8)
    image[..., 0] = lesion * 255
    top, bottom = np.split(np.arange(H), 2)
    left, right = np.split(np.arange(W), 2)
    for (rows, cols), value in zip([(top, left), (top, right), (bottom, left), (bottom, right)],
                                   quadrant_values):
        image[np.ix_(rows, cols, [1])] = value
    return image


def test_merged_p_is_the_mean_of_the_views_and_the_mask_keeps_its_orientation(pixelwise_tta):
    lesion = np.zeros((H, W), bool)
    lesion[3:12, 5:20] = True  # top-left: every flip moves it
    _, tta_pipeline = _pipelines()
    merged = _run(pixelwise_tta, tta_pipeline, _image(lesion, (0, 51, 102, 153))).pred_lesion
    # The photo sees its top-left quadrant (0), the horizontal flip the
    # top-right (51), the vertical flip the bottom-left (102).
    assert merged.p_malignant == pytest.approx((0 + 0.2 + 0.4) / 3, abs=1e-6)
    assert merged.mask.shape == (H, W)
    np.testing.assert_array_equal(merged.mask.numpy(), lesion)
    np.testing.assert_array_equal(merged.bbox.numpy(), [5, 3, 20, 12])
    assert 'mask_prob' not in merged


def test_flip_invariant_input_gives_the_plain_result(pixelwise_tta):
    yy, xx = np.mgrid[:H, :W]
    lesion = ((yy - (H - 1) / 2)**2 + (xx - (W - 1) / 2)**2) < 12**2
    image = _image(lesion, (80, 80, 80, 80))
    test_pipeline, tta_pipeline = _pipelines()
    plain = _run(pixelwise_tta.module, test_pipeline, image).pred_lesion
    merged = _run(pixelwise_tta, tta_pipeline, image).pred_lesion
    assert merged.p_malignant == pytest.approx(plain.p_malignant)
    np.testing.assert_array_equal(merged.mask.numpy(), plain.mask.numpy())
    np.testing.assert_array_equal(merged.bbox.numpy(), plain.bbox.numpy())


def test_one_view_of_the_detector_gives_its_plain_prediction():
    """The mask probabilities the TTA model averages threshold to the
    detector's own mask."""
    image = np.random.RandomState(0).randint(0, 255, (H, W, 3), dtype=np.uint8)
    detector = _tiny_detector()
    test_pipeline, tta_pipeline = _pipelines(pad=True)
    plain = _run(detector, test_pipeline, image).pred_lesion
    assert plain.detected and 'mask_prob' not in plain
    tta = LesionTTAModel(module=detector)
    tta_pipeline.transforms[-1] = TestTimeAug(
        [[dict(type='RandomFlip', prob=0.0)], [dict(type='Pad', size=(64, 64))],
         [dict(type='PackDetInputs', meta_keys=META_KEYS + ('flip', 'flip_direction'))]])
    merged = _run(tta, tta_pipeline, image).pred_lesion
    assert merged.p_malignant == pytest.approx(plain.p_malignant)
    np.testing.assert_array_equal(merged.mask.numpy(), plain.mask.numpy())
    assert plain.mask.any()


def test_three_views_of_the_detector_give_one_lesion_of_the_photos_size():
    image = np.random.RandomState(1).randint(0, 255, (H, W, 3), dtype=np.uint8)
    tta = LesionTTAModel(module=_tiny_detector())
    _, tta_pipeline = _pipelines(pad=True)
    merged = _run(tta, tta_pipeline, image).pred_lesion
    assert merged.mask.shape == (H, W) and merged.mask.dtype == torch.bool
    assert 0.0 <= merged.p_malignant <= 1.0


def test_the_flips_come_before_the_padding():
    test = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(8, 8)),
            dict(type='Pad', size=(8, 8)), dict(type='LoadAnnotations'),
            dict(type='PackDetInputs', meta_keys=('img_id', ))]
    tta = tta_pipeline_from_test(test)
    assert [s['type'] for s in tta] == ['LoadImageFromFile', 'Resize', 'TestTimeAug']
    views = tta[-1]['transforms']
    assert [v.get('direction') for v in views[0]] == [None, 'horizontal', 'vertical']
    assert [v[0]['type'] for v in views[1:]] == ['Pad', 'LoadAnnotations', 'PackDetInputs']
    assert views[-1][0]['meta_keys'] == ('img_id', 'flip', 'flip_direction')
    assert test[-1]['meta_keys'] == ('img_id', )  # the test pipeline is left alone


class _OtherModel(torch.nn.Module):

    def test_step(self, data):
        return data


def test_tta_needs_a_lesion_detector():
    with pytest.raises(ValueError, match='SkinLesionMaskRCNN'):
        LesionTTAModel(module=_OtherModel())
