"""SkinLesionMaskRCNN's training precision (train_feature_dtype): bfloat16
changes the backbone and the neck only, the losses stay close to float32's,
and 'auto' follows the CPU's flags."""
import copy
import math
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmskin.utils.cpu_features as cpu_features

MAIN_CONFIG = Path(__file__).resolve().parents[3] / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'


@pytest.fixture
def tiny_setup(tiny_coco, make_cpu_cfg, tmp_path):
    """The paper's config shrunk to a tiny CPU model, its initial weights and
    one training batch of the tiny generated set."""
    cfg = make_cpu_cfg(Config.fromfile(str(MAIN_CONFIG)), tiny_coco, str(tmp_path / 'work'))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    return cfg, model.state_dict(), batch


def _losses(tiny_setup, **model_options):
    """Loss terms and the gradient of every parameter after one backward pass."""
    cfg, state_dict, batch = tiny_setup
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(model_options)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.load_state_dict(state_dict)
    model.train()
    torch.manual_seed(1)  # the same anchors and RoIs sampled in every run
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    losses = model(**data, mode='loss')
    loss, log_vars = model.parse_losses(losses)
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    return {key: float(value) for key, value in log_vars.items()}, grads, model


def _write_cpuinfo(path, flags):
    path.write_text(f'processor\t: 0\nflags\t\t: {" ".join(flags)}\n')
    return path


def test_auto_follows_the_cpu_flags(tiny_setup, tmp_path, monkeypatch):
    cfg = copy.deepcopy(tiny_setup[0].model)
    cfg.train_feature_dtype = 'auto'
    monkeypatch.setattr(cpu_features, 'CPUINFO', _write_cpuinfo(tmp_path / 'old', ['avx2']))
    assert not MODELS.build(cfg).train_bf16
    monkeypatch.setattr(cpu_features, 'CPUINFO', _write_cpuinfo(tmp_path / 'spr', ['amx_bf16']))
    assert MODELS.build(cfg).train_bf16
    cfg.train_feature_dtype = 'float32'
    assert not MODELS.build(cfg).train_bf16
    cfg.train_feature_dtype = 'float16'
    with pytest.raises(ValueError, match="train_feature_dtype 'float16'"):
        MODELS.build(cfg)


def test_float32_without_bf16_flags_is_the_plain_model(tiny_setup, tmp_path, monkeypatch):
    monkeypatch.setattr(cpu_features, 'CPUINFO', _write_cpuinfo(tmp_path / 'old', ['avx2']))
    plain, plain_grads, _ = _losses(tiny_setup)
    auto, auto_grads, _ = _losses(tiny_setup, train_feature_dtype='auto')
    assert auto == plain
    for name, grad in plain_grads.items():
        assert torch.equal(auto_grads[name], grad), name


def test_bfloat16_close_to_float32(tiny_setup):
    reference, reference_grads, _ = _losses(tiny_setup)
    log_vars, grads, model = _losses(tiny_setup, train_feature_dtype='bfloat16')
    assert log_vars.keys() == reference.keys()
    # bfloat16 keeps 8 bits of mantissa: a few per mille per convolution.
    # The RPN's terms see the same anchors; the RoI heads' terms see other
    # proposals where bfloat16 reorders close scores, so only their sum is
    # held close.
    for key, value in reference.items():
        assert math.isfinite(log_vars[key]), key
        if key.startswith('loss_rpn'):
            assert log_vars[key] == pytest.approx(value, rel=0.02, abs=1e-4), key
    assert log_vars['loss'] == pytest.approx(reference['loss'], rel=0.05)
    assert grads.keys() == reference_grads.keys()
    for name, grad in grads.items():
        assert grad.dtype == torch.float32 and torch.isfinite(grad).all(), name
    # the step's direction stays close
    flat = torch.cat([grads[name].flatten() for name in sorted(grads)])
    reference_flat = torch.cat([reference_grads[name].flatten() for name in sorted(grads)])
    cosine = float(torch.nn.functional.cosine_similarity(flat, reference_flat, dim=0))
    assert cosine > 0.9, cosine
    # what the heads and mmcv's RoIAlign and NMS read: float32
    inputs = model.data_preprocessor(copy.deepcopy(tiny_setup[2]), True)['inputs']
    for feature in model.extract_feat(inputs):
        assert feature.dtype == torch.float32


def test_inference_stays_float32(tiny_setup):
    cfg, state_dict, batch = tiny_setup
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.train_feature_dtype = 'bfloat16'
    model = MODELS.build(model_cfg)
    model.load_state_dict(state_dict)
    plain = MODELS.build(cfg.model)
    plain.load_state_dict(state_dict)
    model.eval()
    plain.eval()
    inputs = plain.data_preprocessor(copy.deepcopy(batch), False)['inputs']
    with torch.no_grad():
        for ours, theirs in zip(model.extract_feat(inputs), plain.extract_feat(inputs)):
            assert torch.equal(ours, theirs)
