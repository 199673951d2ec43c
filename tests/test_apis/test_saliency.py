"""Grad-CAM of the malignancy call: a hand computation, and the model left
as it was."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmskin.apis import (ConfigError, LesionPrediction, build_test_pipeline, init_lesion_model,
                         lesion_cam, predict_lesion)
from mmskin.models.detectors.skin_lesion_mask_rcnn import restore_unpadded_shape
from mmskin.utils import ISIC_CLASSES


@pytest.fixture
def tiny_model(model_files):
    return init_lesion_model(model_files.config, model_files.checkpoint, 'cpu')


def _around_lesion(image: np.ndarray) -> LesionPrediction:
    """A detection of the photo's lesion: the untrained model's own boxes
    are degenerate, and a box of no area has no gradient."""
    h, w = image.shape[:2]
    return LesionPrediction(p_malignant=0.5, pred_label=0, score=0.9,
                            bbox=np.array([w / 4, h / 4, 3 * w / 4, 3 * h / 4], np.float32),
                            mask=np.zeros((h, w), bool), detected=True)


def _hand_cam(model, image, prediction, layer=None):
    """Grad-CAM written out: the malignant logit of the box through the RoI
    extractor and the box head, its gradient by torch.autograd.grad. The
    default layer is the FPN output the box is pooled from."""
    data = build_test_pipeline(model.cfg)(dict(img=image, img_id=0))
    batch = model.data_preprocessor(
        dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
    inputs, sample = batch['inputs'], batch['data_samples'][0]
    restore_unpadded_shape(sample)
    w_scale, h_scale = sample.scale_factor
    x0, y0, x1, y1 = prediction.bbox.tolist()
    rois = torch.tensor([[0, x0 * w_scale, y0 * h_scale, x1 * w_scale, y1 * h_scale]])
    extractor = model.roi_head.bbox_roi_extractor
    if layer is None:
        layer = f'neck.fpn_convs.{int(extractor.map_roi_levels(rois, extractor.num_inputs))}'
    activations = []
    handle = dict(model.named_modules())[layer].register_forward_hook(
        lambda module, args, output: activations.append(output))
    try:
        feats = model.extract_feat(inputs)
    finally:
        handle.remove()
    cls_score, _ = model.roi_head.bbox_head(extractor(feats[:extractor.num_inputs], rois))
    logit = cls_score[0, ISIC_CLASSES.index('malignant')]
    activation, = activations
    gradient, = torch.autograd.grad(logit, activation)
    weights = gradient.mean(dim=(2, 3))[0]  # w_k
    cam = torch.relu(sum(w * a for w, a in zip(weights, activation[0].detach())))
    padded = F.interpolate(cam[None, None], size=tuple(inputs.shape[2:]), mode='bilinear',
                           align_corners=False)
    h, w = sample.img_shape
    photo = F.interpolate(padded[..., :h, :w], size=image.shape[:2], mode='bilinear',
                          align_corners=False)[0, 0]
    return (photo / photo.max() if photo.max() > 0 else photo).numpy()


@pytest.mark.parametrize('layer', ['backbone.layer1', 'backbone.layer2', 'backbone.layer4', None])
def test_lesion_cam_equals_the_hand_computation(tiny_model, photos, layer):
    image = photos.photo(90, 130)
    prediction = _around_lesion(image)
    cam = lesion_cam(tiny_model, image, prediction, layer=layer)
    expected = _hand_cam(tiny_model, image, prediction, layer)
    assert cam.dtype == np.float32 and cam.shape == (90, 130)
    np.testing.assert_allclose(cam, expected, atol=1e-5)
    assert cam.min() >= 0.0
    # On this untrained model the last stage holds no positive evidence.
    assert cam.max() == (0.0 if layer == 'backbone.layer4' else 1.0)


def test_lesion_cam_leaves_the_model_as_it_was(tiny_model, photos):
    image = photos.photo(120, 160)
    before = predict_lesion(tiny_model, image)
    state = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    tiny_model.backbone.conv1.weight.requires_grad_(False)  # e.g. frozen by a training phase
    flags = [p.requires_grad for p in tiny_model.parameters()]
    # The prediction is made when not given.
    np.testing.assert_array_equal(lesion_cam(tiny_model, image),
                                  lesion_cam(tiny_model, image, before))
    first = lesion_cam(tiny_model, image, _around_lesion(image))
    second = lesion_cam(tiny_model, image, _around_lesion(image))
    np.testing.assert_array_equal(first, second)
    assert first.shape == (120, 160) and first.dtype == np.float32
    assert first.min() == 0.0 and first.max() == 1.0
    assert not tiny_model.training
    assert [p.requires_grad for p in tiny_model.parameters()] == flags
    assert all(p.grad is None for p in tiny_model.parameters())
    assert not any(m._forward_hooks for m in tiny_model.modules())
    for key, value in tiny_model.state_dict().items():
        assert torch.equal(value, state[key]), key
    after = predict_lesion(tiny_model, image)
    assert after.p_malignant == before.p_malignant
    np.testing.assert_array_equal(after.mask, before.mask)
    np.testing.assert_array_equal(after.bbox, before.bbox)


def test_lesion_cam_without_detection_and_bad_layers(tiny_model, photos):
    image = photos.photo(60, 80)
    missed = LesionPrediction(p_malignant=0.0, pred_label=0, score=0.0,
                              bbox=np.zeros(4, np.float32), mask=np.zeros((60, 80), bool),
                              detected=False)
    cam = lesion_cam(tiny_model, image, missed)
    assert cam.shape == (60, 80) and not cam.any()
    with pytest.raises(ValueError, match=r'image of size \(60, 80\), not of this \(61, 80\)'):
        lesion_cam(tiny_model, photos.photo(61, 80), missed)
    with pytest.raises(ConfigError, match="layer 'backbone.layer9' is not a module"):
        lesion_cam(tiny_model, image, missed, layer='backbone.layer9')
    prediction = _around_lesion(image)
    with pytest.raises(ConfigError, match='does not output a feature map'):
        lesion_cam(tiny_model, image, prediction, layer='roi_head.bbox_head.shared_fcs.0')
    with pytest.raises(ConfigError, match='does not lead to the malignant logit'):
        lesion_cam(tiny_model, image, prediction, layer='rpn_head')
    # mmdet's RoI extractor joins the levels it does not pool from with a
    # zero weight: their gradient, and map, are zero.
    assert not lesion_cam(tiny_model, image, prediction, layer='neck.fpn_convs.3').any()
    assert not any(m._forward_hooks for m in tiny_model.modules())
    assert all(p.requires_grad for p in tiny_model.parameters())
