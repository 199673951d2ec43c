"""Grad-CAM of the malignancy call: where in the photo the classify subnet
looks when it scores the kept lesion (Selvaraju et al., "Grad-CAM: Visual
Explanations from Deep Networks via Gradient-based Localization", ICCV 2017).

The score explained is the malignant logit of the classify subnet (paper
II-B-3) on the lesion's box, the box drawn on the overlay: the RoI is
pooled from the feature maps and passed through the box head with gradients
on. For an activation ``A`` (``C`` channels) of the chosen layer the map is

    cam = ReLU(sum_k w_k A_k),  w_k = mean over (h, w) of d logit / d A_k,

upsampled (bilinear) to the network input, cut to the resized photo (the
padding removed), resized to the photo and divided by its maximum, so that
its values lie in [0, 1]; a map without positive evidence stays zero.

mmdet runs inference under ``torch.no_grad``, and the detection's own
probability comes from the proposal its box was regressed from, so the
logit explained here (on the final box) can differ slightly from the one
behind ``p_malignant``. The ``grad-cam`` package is not used: it explains a
model that maps an image to class scores, not a score computed on one box
of a two-stage detector, and would be a dependency for a few lines.
"""
from functools import partial
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.transforms import Compose
from mmengine.config import Config

from mmskin.utils.upstream_private import restore_unpadded_shape
from mmskin.utils import ISIC_CLASSES
from .errors import ConfigError
from .model import build_test_pipeline
from .predict import LesionPrediction, predict_lesion

_MALIGNANT = ISIC_CLASSES.index('malignant')


def _pooled_level_layer(model: nn.Module, roi: torch.Tensor) -> str:
    """Name of the FPN output the box head pools ``roi`` (1, 5) from, e.g.
    ``'neck.fpn_convs.3'``: the default layer of :func:`lesion_cam`."""
    extractor = model.roi_head.bbox_roi_extractor
    neck = getattr(model, 'neck', None)
    if not hasattr(extractor, 'map_roi_levels') or not hasattr(neck, 'fpn_convs'):
        raise ConfigError(f'{type(model).__name__} has no FPN neck whose level the RoI '
                          "extractor picks: name the layer, e.g. 'backbone.layer4'")
    level = int(extractor.map_roi_levels(roi, extractor.num_inputs)[0])
    return f'neck.fpn_convs.{level}'


def lesion_cam(model: nn.Module,
               image: np.ndarray,
               prediction: Optional[LesionPrediction] = None,
               layer: Optional[str] = None,
               pipeline: Optional[Compose] = None) -> np.ndarray:
    """The Grad-CAM map of the malignant logit of the lesion's box.

    Args:
        model: from :func:`init_lesion_model`; left as it was (eval mode,
            parameters, their ``requires_grad``, no hook left).
        image: the photo, BGR uint8 (H, W, 3), as for :func:`predict_lesion`.
        prediction: :func:`predict_lesion` of this model on ``image``;
            computed if not given.
        layer: name of the module whose output is explained
            (``dict(model.named_modules())``), a 4-D feature map such as
            ``'backbone.layer4'`` (reaches every box) or
            ``'neck.fpn_convs.2'`` (an FPN output: the map is zero for a box
            pooled from another level). Default: the FPN output the box is
            pooled from.
        pipeline: :func:`build_test_pipeline` of ``model.cfg``; built if not
            given.

    Returns:
        float32 (H, W) in [0, 1]; all zero when nothing was detected.

    Raises:
        ConfigError: (a ``ValueError``) the layer is not a module of the
            model, its output is not a feature map, or it does not reach
            the logit of the box; the model has no benign / malignant output.
        ValueError: the prediction is of an image of another size.
    """
    _check_malignant_logit(model)
    module = None if layer is None else _named_module(model, layer)
    if pipeline is None:
        pipeline = build_test_pipeline(model.cfg)
    if prediction is None:
        prediction = predict_lesion(model, image, pipeline)
    height, width = image.shape[:2]
    if prediction.mask.shape != (height, width):
        raise ValueError(f'the prediction is of an image of size {prediction.mask.shape}, '
                         f'not of this {(height, width)} one')
    if not prediction.detected:
        return np.zeros((height, width), np.float32)
    data = pipeline(dict(img=image, img_id=0))
    batch = model.data_preprocessor(
        dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
    inputs, sample = batch['inputs'], batch['data_samples'][0]
    restore_unpadded_shape(sample)
    scale = torch.tensor(sample.scale_factor, dtype=torch.float32).repeat(2)
    box = torch.from_numpy(prediction.bbox).float() * scale
    roi = torch.cat([box.new_zeros(1), box])[None].to(inputs.device)
    if module is None:
        layer = _pooled_level_layer(model, roi)
        module = _named_module(model, layer)
    activation, gradient = _layer_gradient(model, inputs, roi, module, layer)

    weights = gradient.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activation).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=tuple(inputs.shape[2:]), mode='bilinear', align_corners=False)
    resized_h, resized_w = sample.img_shape[:2]
    cam = F.interpolate(cam[..., :resized_h, :resized_w], size=(height, width), mode='bilinear',
                        align_corners=False)[0, 0]
    peak = cam.max()
    if peak > 0:
        cam = cam / peak
    return cam.cpu().numpy().astype(np.float32)


def lesion_cam_of(model: nn.Module, cfg: Config,
                  layer: Optional[str] = None) -> Callable[[np.ndarray], np.ndarray]:
    """``photo -> map``: :func:`lesion_cam` of ``model`` with the test
    pipeline of ``cfg`` built once, e.g. for the report's galleries. A
    layer that is not a module of the model is a ConfigError now, before a
    long run, and so is a model without a malignant logit."""
    _check_malignant_logit(model)
    if layer is not None:
        _named_module(model, layer)
    return partial(lesion_cam, model, layer=layer, pipeline=build_test_pipeline(cfg))


def _malignant_logit(model: nn.Module, feats: tuple, roi: torch.Tensor) -> torch.Tensor:
    """The classify subnet on ``roi``, as mmdet's ``StandardRoIHead`` runs
    it, through its public modules."""
    roi_head = model.roi_head
    extractor = roi_head.bbox_roi_extractor
    roi_feats = extractor(feats[:extractor.num_inputs], roi)
    if roi_head.with_shared_head:
        roi_feats = roi_head.shared_head(roi_feats)
    cls_score, _ = roi_head.bbox_head(roi_feats)
    return cls_score[0, _MALIGNANT]


def _check_malignant_logit(model: nn.Module) -> None:
    num_classes = model.roi_head.bbox_head.num_classes
    if num_classes != len(ISIC_CLASSES):
        raise ConfigError(f'the box head has {num_classes} foreground classes, not '
                          f'{ISIC_CLASSES}: no malignant logit to explain')


def _named_module(model: nn.Module, layer: str) -> nn.Module:
    module = dict(model.named_modules()).get(layer)
    if module is None:
        raise ConfigError(f'layer {layer!r} is not a module of {type(model).__name__} '
                          "(see model.named_modules(), e.g. 'backbone.layer4')")
    return module


def _layer_gradient(model: nn.Module, inputs: torch.Tensor, roi: torch.Tensor,
                    module: nn.Module, layer: str) -> tuple:
    """The output of ``module`` (named ``layer``) and the gradient of the
    malignant logit of ``roi`` with respect to it, each (1, C, h, w)."""
    outputs = []

    def keep_output(_module, _args, output):
        if not isinstance(output, torch.Tensor) or output.dim() != 4:
            raise ConfigError(f'layer {layer!r} does not output a feature map (N, C, H, W)')
        # A leaf: the gradient stops here, and nothing upstream of the layer
        # keeps its activations for a backward pass.
        outputs.append(output.detach().requires_grad_())
        return outputs[-1]

    # Only the layer's output needs a gradient: parameters are frozen
    # meanwhile, so no parameter gradient is computed or stored.
    trainable = [p for p in model.parameters() if p.requires_grad]
    handle = module.register_forward_hook(keep_output)
    try:
        for param in trainable:
            param.requires_grad_(False)
        with torch.enable_grad():
            logit = _malignant_logit(model, model.extract_feat(inputs), roi)
    finally:
        handle.remove()
        for param in trainable:
            param.requires_grad_(True)
    if len(outputs) != 1 or not logit.requires_grad:
        raise ConfigError(f'layer {layer!r} does not reach the malignant logit of the lesion '
                          f'box (it runs {len(outputs)} times on the way); a backbone stage '
                          'such as backbone.layer4 does')
    gradient, = torch.autograd.grad(logit, outputs[0])
    return outputs[0].detach(), gradient
