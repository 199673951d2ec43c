"""Every config loads; every leaf config trains one iteration (CPU-sized)
and is at most three deep; the schedule follows the run's length; the
experiment grid keeps its shape, its COCO weights and its place in docs/."""
import ast
import copy
import importlib
import re
from pathlib import Path
from types import SimpleNamespace
from typing import List, Optional

import pytest
import torch
import torch.nn as nn
import yaml
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.optim.scheduler import LinearLR, MultiStepLR
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

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


def build_schedule(cfg: Config, optim_wrapper) -> list:
    """The config's schedulers as the Runner builds them: without an ``end``
    a scheduler ends at ``train_cfg.max_iters``."""
    return [PARAM_SCHEDULERS.build(scheduler, default_args=dict(
        optimizer=optim_wrapper, end=cfg.train_cfg.max_iters)) for scheduler in cfg.param_scheduler]


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
    build_schedule(cfg, optim_wrapper)
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper, iter=0,
                             max_iters=cfg.train_cfg.max_iters,
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


@pytest.mark.parametrize('config', LEAVES)
def test_leaf_config_is_at_most_three_deep(config):
    chain = base_chain(config)
    assert len(chain) <= 3, f'{config} inherits {" <- ".join(chain)}'


@pytest.mark.parametrize('config', [*GRID, 'configs/isic/isic2017_cpu_r18_gn.py'])
def test_variant_is_a_short_leaf(config):
    code = [line for line in (REPO / config).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith('#')]
    assert 1 <= len(code) <= 12, f'{config}: {len(code)} lines of code'


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


PAPER = 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'
DEMO = 'configs/isic/demo_cpu_r18.py'
RECIPE = 'configs/isic/isic2017_cpu_r18.py'
THREEPHASE = 'configs/isic/isic2017_cpu_r18_threephase.py'
GN = 'configs/isic/isic2017_cpu_r18_gn.py'


def run_schedule(config: str, make_cpu_cfg, tiny_coco, tmp_path,
                 max_iters: Optional[int] = None):
    """The built schedule of a config in a run of its own length (or of
    ``max_iters``, set as ``--cfg-options train_cfg.max_iters=N`` sets it):
    the phase hooks after ``before_train`` and the lr at every milestone's
    edge, from the schedulers the Runner would build."""
    cfg = make_cpu_cfg(Config.fromfile(str(REPO / config)), tiny_coco, str(tmp_path),
                       cfg_max_iters(config) if max_iters is None else max_iters)
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = build_schedule(cfg, optim_wrapper)
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper, iter=0,
                             max_iters=cfg.train_cfg.max_iters,
                             logger=MMLogger.get_current_instance())
    hooks = [HOOKS.build(h) for h in cfg.custom_hooks]
    for hook in hooks:
        hook.before_train(runner)
    steps = [s for s in schedulers if isinstance(s, MultiStepLR)]
    milestones = sorted(s.begin + m for s in steps for m in s.milestones)
    warmup_end = max((s.end for s in schedulers if isinstance(s, LinearLR)), default=0)
    return hooks, milestones, warmup_end


def cfg_max_iters(config: str) -> int:
    return Config.fromfile(str(REPO / config)).train_cfg.max_iters


def phase_starts(hook: ThreePhaseTrainingHook, max_iters: int) -> List[int]:
    """Where the hook changes phase, found from its answers alone."""
    return [0] + [t for t in range(1, max_iters) if hook.phase_index(t) != hook.phase_index(t - 1)]


@pytest.mark.parametrize('config, max_iters, phases, milestones', [
    # The paper's 40 / 80 / 40 epochs of 1000 iterations; lr / 10 in phase 3.
    (PAPER, None, [0, 40_000, 120_000], [120_000]),
    # Shrunk by its length alone: the phases and the lr step follow.
    (PAPER, 1600, [0, 400, 1200], [1200]),
    (THREEPHASE, None, [0, 50, 150], [150]),
    # One phase (no phase hook), lr / 10 for the last fifth.
    (DEMO, None, None, [240]),
    (RECIPE, None, None, [3200]),
    (RECIPE, 1000, None, [800]),
    (GN, None, None, [4480]),
])
def test_phases_and_lr_steps_follow_the_run_length(
        config, max_iters, phases, milestones, make_cpu_cfg, tiny_coco, tmp_path):
    init_default_scope('mmdet')
    hooks, built_milestones, warmup_end = run_schedule(config, make_cpu_cfg, tiny_coco,
                                                       tmp_path, max_iters)
    length = max_iters or cfg_max_iters(config)
    assert built_milestones == milestones
    if phases is None:
        assert not any(isinstance(h, ThreePhaseTrainingHook) for h in hooks)
        return
    hook, = [h for h in hooks if isinstance(h, ThreePhaseTrainingHook)]
    assert phase_starts(hook, length) == phases
    # lr / 10 exactly when the last phase begins.
    assert milestones == phases[-1:]
    if max_iters is None:
        # At its own length, the warm-up (a number of iterations whatever the
        # length, as mmdet's) is over before the second phase.
        assert warmup_end < phases[1]


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


def test_groupnorm_variant_trains_with_group_statistics_and_no_norm_decay(
        make_cpu_cfg, tiny_coco, tmp_path):
    """mmdet's from-scratch recipe on the real-data CPU config: GroupNorm in
    the backbone, the neck and both RoI heads (4 convs + 1 FC in the box
    head), no weight decay on norm parameters; it trains, and the lesion
    combination still gets the box head's class probabilities."""
    init_default_scope('mmdet')
    cfg = make_cpu_cfg(Config.fromfile(str(REPO / GN)), tiny_coco, str(tmp_path))
    model = MODELS.build(cfg.model)
    model.init_weights()
    norms = [m for m in model.modules() if isinstance(m, (_BatchNorm, nn.GroupNorm))]
    assert norms and all(isinstance(m, nn.GroupNorm) for m in norms)
    bbox_head = model.roi_head.bbox_head
    for part in (model.backbone, model.neck, bbox_head, model.roi_head.mask_head):
        assert any(isinstance(m, nn.GroupNorm) for m in part.modules()), type(part).__name__
    assert (len(bbox_head.shared_convs), len(bbox_head.shared_fcs)) == (4, 1)

    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {id(p): group['weight_decay'] for group in optim_wrapper.param_groups
             for p in group['params']}
    norm_params = {id(p) for m in norms for p in m.parameters()}
    assert {decay[i] for i in norm_params} == {0}
    assert {d for i, d in decay.items() if i not in norm_params} == {0.05}

    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    for step in range(2):
        batch = pseudo_collate([dataset[2 * step + i] for i in range(2)])
        log_vars = model.train_step(batch, optim_wrapper)
        assert all(torch.isfinite(v).all() for v in log_vars.values())
    model.eval()
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    with torch.no_grad():
        sample, = model.val_step(pseudo_collate([test_set[0]]))
    assert 0 <= float(sample.pred_lesion.p_malignant) <= 1


def resolves(dotted: str) -> bool:
    """Whether ``a.b.c`` names an importable module or an attribute of one."""
    parts = dotted.split('.')
    for i in range(len(parts), 0, -1):
        try:
            target = importlib.import_module('.'.join(parts[:i]))
        except ImportError:
            continue
        try:
            for name in parts[i:]:
                target = getattr(target, name)
        except AttributeError:
            return False
        return True
    return False


def test_mmskin_names_in_configs_and_sources_exist():
    """A comment or docstring that points a reader at ``mmskin.x.y`` points at
    something that is there."""
    files = [*(REPO / 'configs').rglob('*.py'), *(REPO / 'mmskin').rglob('*.py'),
             *(REPO / 'tools').rglob('*.py')]
    dead = sorted({f'{path.relative_to(REPO)}: {name}' for path in files
                   for name in re.findall(r'\bmmskin(?:\.[A-Za-z_]\w*)+', path.read_text())
                   if not resolves(name)})
    assert not dead
