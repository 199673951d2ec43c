"""Every config loads; every leaf config trains one iteration (CPU-sized);
the experiment grid keeps its shape, its COCO weights and its place in docs/."""
import ast
import copy
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import mmdet
from mmdet.registry import DATASETS, HOOKS, METRICS, MODELS, PARAM_SCHEDULERS
from mmskin.engine import ThreePhaseTrainingHook  # importing mmskin registers it all
from mmskin.utils import CheckpointMismatchError, load_weights

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / 'configs').rglob('*.py'))
LEAVES = [c for c in CONFIGS if '/_base_/' not in c]
# The paper's experiment grid (paper Tables III-X).
GRID = [c for c in LEAVES if Path(c).name.startswith('mask_rcnn_')]
MMDET_ZOO = Path(mmdet.__file__).parent / '.mim' / 'configs' / 'mask_rcnn' / 'metafile.yml'


@pytest.mark.parametrize('config', CONFIGS)
def test_config_loads(config):
    cfg = Config.fromfile(str(REPO / config))
    assert cfg.filename.endswith(config)


# Loss terms that a multi-task ablation removes (paper Tables IX, X).
REMOVED_LOSSES = {
    'mask_rcnn_r101_fpn_focaljac_cls.py': {'loss_bbox', 'loss_mask'},
    'mask_rcnn_r101_fpn_focaljac_clsseg.py': {'loss_bbox'},
    'mask_rcnn_r101_fpn_focaljac_seg.py': {'loss_bbox'},
}
ALL_LOSSES = {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_mask'}


@pytest.mark.slow
@pytest.mark.parametrize('config', LEAVES)
def test_leaf_config_trains_one_iteration(config, make_cpu_cfg, tiny_coco, tmp_path):
    """What the Runner builds from the config, without its logging overhead:
    model, optimizer, schedulers, hooks (the phase table checked against the
    model), the training data; then one training step."""
    init_default_scope('mmdet')
    cfg = make_cpu_cfg(Config.fromfile(str(REPO / config)), tiny_coco, str(tmp_path))
    # No init_weights: PyTorch's default initialisation is enough for one step.
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    for scheduler in cfg.param_scheduler:
        PARAM_SCHEDULERS.build(scheduler, default_args=dict(optimizer=optim_wrapper))
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper, iter=0,
                             logger=MMLogger.get_current_instance())
    for hook_cfg in [cfg.default_hooks.checkpoint, *cfg.custom_hooks]:
        hook = HOOKS.build(hook_cfg)
        if isinstance(hook, ThreePhaseTrainingHook):
            hook.before_train(runner)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in range(cfg.train_dataloader.batch_size)])

    log_vars = model.train_step(batch, optim_wrapper)
    assert all(torch.isfinite(v).all() for v in log_vars.values())
    expected = ALL_LOSSES - REMOVED_LOSSES.get(Path(config).name, set())
    assert {k for k in log_vars if k in ALL_LOSSES} == expected


@pytest.mark.parametrize('name, with_reg, with_mask, num_classes', [
    ('mask_rcnn_r101_fpn_focaljac.py', True, True, 2),  # Cls+Det+Seg
    ('mask_rcnn_r101_fpn_focaljac_clsseg.py', False, True, 2),
    ('mask_rcnn_r101_fpn_focaljac_cls.py', False, False, 2),
    ('mask_rcnn_r101_fpn_focaljac_seg.py', False, True, 1),  # lesion / background
])
def test_multitask_ablation_removes_the_subnets(name, with_reg, with_mask, num_classes,
                                                make_cpu_cfg, tiny_coco, tmp_path):
    cfg = make_cpu_cfg(Config.fromfile(str(REPO / 'configs' / 'isic' / name)), tiny_coco,
                       str(tmp_path))
    roi_head = MODELS.build(cfg.model).roi_head
    assert roi_head.bbox_head.with_reg == hasattr(roi_head.bbox_head, 'fc_reg') == with_reg
    assert roi_head.with_mask == with_mask
    assert roi_head.bbox_head.num_classes == num_classes
    if with_mask:
        assert roi_head.mask_head.num_classes == num_classes


@pytest.mark.parametrize('name', [
    'mask_rcnn_r101_fpn_focaljac.py', 'mask_rcnn_r101_fpn_focaljac_clsseg.py',
    'mask_rcnn_r101_fpn_focaljac_cls.py', 'mask_rcnn_r101_fpn_focaljac_seg.py'])
def test_multitask_ablation_predicts_a_lesion_its_evaluators_score(name, make_cpu_cfg, tiny_coco,
                                                                   tmp_path):
    init_default_scope('mmdet')
    cfg = make_cpu_cfg(Config.fromfile(str(REPO / 'configs' / 'isic' / name)), tiny_coco,
                       str(tmp_path))
    model = MODELS.build(cfg.model).eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    batch = pseudo_collate([dataset[0]])
    with torch.no_grad():
        samples = model.val_step(batch)
    lesion = samples[0].pred_lesion
    assert tuple(lesion.mask.shape) == samples[0].ori_shape
    # Only the segmentation-only model has no benign / malignant output.
    assert torch.isnan(torch.as_tensor(lesion.p_malignant)).item() == name.endswith('_seg.py')
    for metric_cfg in cfg.test_evaluator:
        metric = METRICS.build(metric_cfg)
        metric.dataset_meta = dataset.metainfo
        metric.process(batch, [s.to_dict() for s in samples])
        assert len(metric.results) == 1


def base_chain(config: str) -> list:
    """The config and its `_base_` ancestors inside configs/isic, leaf first."""
    chain, path = [], REPO / config
    while path.parent.name == 'isic':
        chain.append(path.name)
        tree = ast.parse(path.read_text())
        base = next((node.value for node in tree.body if isinstance(node, ast.Assign)
                     and node.targets[0].id == '_base_'), None)
        bases = ast.literal_eval(base) if base is not None else []
        bases = [bases] if isinstance(bases, str) else bases
        local = [b for b in bases if (path.parent / b).resolve().parent.name == 'isic']
        assert len(local) <= 1, f'{config}: more than one parent in configs/isic'
        if not local:
            break
        path = (path.parent / local[0]).resolve()
    return chain


@pytest.mark.parametrize('config', GRID)
def test_grid_config_is_a_short_leaf_at_most_three_deep(config):
    code = [line for line in (REPO / config).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith('#')]
    assert 1 <= len(code) <= 10, f'{config}: {len(code)} lines of code'
    chain = base_chain(config)
    assert len(chain) <= 3, f'{config} inherits {" <- ".join(chain)}'


def zoo_weights(depth: int) -> str:
    """mmdet's model-zoo URL of COCO Mask R-CNN R{depth}-FPN 1x."""
    models = yaml.safe_load(MMDET_ZOO.read_text())['Models']
    name = f'mask-rcnn_r{depth}_fpn_1x_coco'
    return next(m['Weights'] for m in models if m['Name'] == name)


@pytest.mark.parametrize('config', [c for c in GRID if 'cocoinit' in c])
def test_coco_initialisation_loads_mmdet_weights_of_the_same_depth(config):
    cfg = Config.fromfile(str(REPO / config))
    assert cfg.load_from == zoo_weights(cfg.model.backbone.depth)
    # The COCO weights replace ImageNet's: no second download.
    assert cfg.model.backbone.init_cfg is None


def test_coco_heads_of_mismatched_shape_are_skipped_and_the_rest_loads(
        make_cpu_cfg, tiny_coco, tmp_path):
    """``load_from`` of an 80-class checkpoint: the layers the config declares
    in ``load_from_reinit`` keep their initialisation, the rest loads; without
    the allowance (as when testing) the file is refused, naming a layer."""
    cfg = make_cpu_cfg(Config.fromfile(str(REPO / GRID[0])), tiny_coco, str(tmp_path))
    coco_cfg = copy.deepcopy(cfg.model)
    coco_cfg.roi_head.bbox_head.num_classes = 80
    coco_cfg.roi_head.mask_head.num_classes = 80
    coco = MODELS.build(coco_cfg)
    coco.init_weights()
    ckpt = tmp_path / 'coco.pth'
    torch.save(dict(state_dict=coco.state_dict()), ckpt)

    model = MODELS.build(cfg.model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match=r'coco.pth: .*6 of another shape'):
        load_weights(model, str(ckpt))
    load_weights(model, str(ckpt), reinit=cfg.load_from_reinit)
    after, coco_state = model.state_dict(), coco.state_dict()
    mismatched = {k for k in after if after[k].shape != coco_state[k].shape}
    assert mismatched == {
        f'roi_head.{k}' for k in ('bbox_head.fc_cls.weight', 'bbox_head.fc_cls.bias',
                                  'bbox_head.fc_reg.weight', 'bbox_head.fc_reg.bias',
                                  'mask_head.conv_logits.weight', 'mask_head.conv_logits.bias')}
    for key in after:
        expected = before[key] if key in mismatched else coco_state[key]
        assert torch.equal(after[key], expected), key


def test_docs_name_every_grid_config_and_nothing_else():
    docs = ''.join(page.read_text() for page in (REPO / 'docs').glob('*.md'))
    named = set(re.findall(r'`(mask_rcnn_\w+\.py)`', docs))
    assert named == {Path(c).name for c in GRID}


def test_full_schedule_matches_the_paper():
    cfg = Config.fromfile(str(REPO / 'configs/_base_/schedules/three_phase_160e.py'))
    phases = next(h for h in cfg.custom_hooks if h.type == 'ThreePhaseTrainingHook').phases
    assert [p.begin for p in phases] == [0, 40_000, 120_000]  # 40 / 80 / 40 epochs
    # Matterport's 'heads', '4+' and 'all' (the paper's code base).
    assert [p.trainable for p in phases] == [
        ['neck', 'rpn_head', 'roi_head'],
        ['backbone.layer3', 'backbone.layer4', 'neck', 'rpn_head', 'roi_head'], 'all']
    assert cfg.train_cfg.max_iters == 160_000
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=1e-3, momentum=0.9,
                                               weight_decay=1e-4)
    warmup, steps = cfg.param_scheduler
    # lr 1e-3 until phase 3, then 1e-4.
    assert steps.milestones == [phases[2].begin] and steps.gamma == 0.1
    assert warmup.end < phases[1].begin
    # DDP with frozen parameters.
    assert cfg.model_wrapper_cfg.find_unused_parameters is True


def test_strict_phase1_config_differs_only_in_phase1():
    """Phase 1 read strictly trains the RoI heads only; nothing else changes."""
    default = Config.fromfile(str(REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'))
    strict = Config.fromfile(
        str(REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac_strictphase1.py'))
    hooks = {name: [h.to_dict() for h in cfg.custom_hooks]
             for name, cfg in (('default', default), ('strict', strict))}
    phases = {name: hook[0]['phases'] for name, hook in hooks.items()}
    assert phases['strict'][0] == dict(begin=0, trainable=['roi_head'])
    assert phases['strict'][1:] == phases['default'][1:]
    assert hooks['strict'][1:] == hooks['default'][1:]
    for key in ('model', 'train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert strict[key] == default[key], key
