"""The real-data CPU recipe (configs/isic/isic2017_cpu_r18.py) trains on real
ISIC 2017 dermoscopy images: a handful arranged in an archive layout,
converted by the ISIC converter, two iterations through mmengine's Runner."""
import csv
import math
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmskin.apis import load_config, tta_pipeline_of
from mmskin.datasets import convert_to_coco, find_archive_samples
from mmskin.utils import ISIC_CLASSES, read_label_csv

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'isic' / 'isic2017_cpu_r18.py'
FAST_CONFIG = REPO / 'configs' / 'isic' / 'isic2017_cpu_r18_fast.py'
HOUR_CONFIG = REPO / 'configs' / 'isic' / 'isic2017_cpu_r18_hour.py'
SOG_CONFIG = REPO / 'configs' / 'isic' / 'isic2017_cpu_r18_sog.py'
GN_CONFIG = REPO / 'configs' / 'isic' / 'isic2017_cpu_r18_gn.py'
ITERS = 2
NUM_BENIGN, NUM_MELANOMA = 3, 1


class _LossRecorder(Hook):

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append({k: float(v) for k, v in outputs.items()})


@pytest.fixture(scope='module')
def isic2017_train(shared_data):
    return shared_data / 'isic2017_train'


def _pick(labels_csv: Path) -> dict:
    """The first NUM_BENIGN benign and NUM_MELANOMA melanoma ids of a labels CSV."""
    labels = read_label_csv(labels_csv).check()
    picked = {}
    for label, count in ((0, NUM_BENIGN), (1, NUM_MELANOMA)):
        ids = [i for i in sorted(labels) if labels[i] == label][:count]
        picked.update((i, ISIC_CLASSES[label]) for i in ids)
    return picked


@pytest.fixture(scope='module')
def real_handful(isic2017_train, tmp_path_factory) -> Path:
    """Four real images with their masks and labels, in an ISIC archive
    layout (images/, masks/, metadata.csv) converted to annotations/train.json."""
    root = tmp_path_factory.mktemp('real_isic')
    (root / 'images').mkdir()
    (root / 'masks').mkdir()
    labels = _pick(isic2017_train / 'labels.csv')
    for isic_id in labels:
        shutil.copy(isic2017_train / 'images' / f'{isic_id}.jpg', root / 'images')
        shutil.copy(isic2017_train / 'masks' / f'{isic_id}_segmentation.png', root / 'masks')
    with open(root / 'metadata.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['isic_id', 'benign_malignant'])
        writer.writerows(sorted(labels.items()))
    convert_to_coco(find_archive_samples(root, 'images', 'masks', 'metadata.csv'),
                    root / 'annotations' / 'train.json', progress=False)
    return root


def _train(cfg: Config, real_handful: Path, tmp_path: Path) -> Runner:
    """Train ``cfg`` ITERS iterations on the real handful; check its losses
    and checkpoint."""
    cfg.work_dir = str(tmp_path / 'run')
    loader = cfg.train_dataloader
    loader.update(num_workers=0, persistent_workers=False)
    loader.dataset.update(ann_file=str(real_handful / 'annotations' / 'train.json'),
                          data_prefix=dict(img=str(real_handful) + '/'))
    cfg.train_cfg.max_iters = ITERS
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    recorder = _LossRecorder()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(recorder)
    runner.train()

    assert len(runner.train_dataloader.dataset) == NUM_BENIGN + NUM_MELANOMA
    assert len(recorder.losses) == ITERS
    for step in recorder.losses:
        assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(step)
        assert all(math.isfinite(v) for v in step.values()), step
    assert (tmp_path / 'run' / f'iter_{ITERS}.pth').is_file()
    assert (tmp_path / 'run' / 'last_checkpoint').read_text().strip().endswith(f'iter_{ITERS}.pth')
    return runner


def test_recipe_trains_on_real_images(real_handful, tmp_path):
    cfg = Config.fromfile(str(CONFIG))
    runner = _train(cfg, real_handful, tmp_path)
    # the trained model gives one lesion per real image, at the image's size
    runner.model.eval()
    batch = next(iter(runner.train_dataloader))
    with torch.no_grad():
        samples = runner.model.test_step(batch)
    for sample in samples:
        lesion = sample.pred_lesion
        assert tuple(lesion.mask.shape) == tuple(sample.ori_shape)
        assert 0.0 <= lesion.p_malignant <= 1.0


def _flat(node, prefix: str = '') -> dict:
    if not isinstance(node, dict):
        return {prefix: node}
    flat = {}
    for key, value in node.items():
        flat.update(_flat(value, f'{prefix}.{key}' if prefix else key))
    return flat


def _changed(config_a: Path, config_b: Path) -> tuple:
    """The flattened keys whose values differ between two configs, and both
    flattened configs."""
    a = _flat(Config.fromfile(str(config_a)).to_dict())
    b = _flat(Config.fromfile(str(config_b)).to_dict())
    return {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}, a, b


def test_fast_leaf_changes_only_how_an_iteration_computes():
    changed, _, fast = _changed(CONFIG, FAST_CONFIG)
    # data, optimizer, schedule and losses stay the recipe's
    assert changed == {
        'model.train_feature_dtype',
        'model.roi_head.bbox_roi_extractor.type',
        'model.roi_head.bbox_roi_extractor.roi_layer.type',
        'model.roi_head.bbox_roi_extractor.roi_layer.sampling_ratio',
        'model.roi_head.mask_roi_extractor.type',
        'model.roi_head.mask_roi_extractor.roi_layer.type',
        'model.roi_head.mask_roi_extractor.roi_layer.sampling_ratio',
        'model.train_cfg.rpn_proposal.nms_pre',
        'model.train_cfg.rpn_proposal.max_per_img',
        'model.train_cfg.rcnn.sampler.num',
        'optim_wrapper.optimizer.fused',
    }
    assert fast['model.train_feature_dtype'] == 'auto'
    for head in ('bbox', 'mask'):
        assert fast[f'model.roi_head.{head}_roi_extractor.roi_layer.type'] == 'SparseRoIAlign'


def test_fast_leaf_trains_on_real_images(real_handful, tmp_path):
    runner = _train(Config.fromfile(str(FAST_CONFIG)), real_handful, tmp_path)
    assert runner.optim_wrapper.optimizer.defaults['fused'] is True


def test_hour_leaf_is_the_fast_leaf_for_longer():
    changed, _, hour = _changed(FAST_CONFIG, HOUR_CONFIG)
    # the same model, data, optimizer and losses; only the length and the checkpoints
    assert changed == {'train_cfg.max_iters', 'default_hooks.checkpoint.interval',
                       'default_hooks.checkpoint.max_keep_ckpts'}
    assert hour['train_cfg.max_iters'] == 5600


def test_colour_constancy_leaf_is_the_recipe_with_shades_of_gray():
    changed, hour, sog = _changed(HOUR_CONFIG, SOG_CONFIG)
    pipelines = {'train_pipeline', 'test_pipeline', 'train_dataloader.dataset.pipeline',
                 'test_dataloader.dataset.pipeline'}
    assert changed == pipelines | {'color_constancy.type', 'color_constancy.power'}
    for key in sorted(pipelines):
        steps = [step['type'] for step in sog[key]]
        # right after loading, in training and testing; nothing else changes
        assert steps[:2] == ['LoadImageFromFile', 'ShadesOfGray'], key
        assert sog[key][1]['power'] == 6
        assert sog[key][:1] + sog[key][2:] == hour[key], key
    tta = [step['type'] for step in tta_pipeline_of(load_config(str(SOG_CONFIG)))]
    assert tta[:2] == ['LoadImageFromFile', 'ShadesOfGray']


def test_groupnorm_leaf_is_the_recipe_with_group_norm():
    changed, hour, gn = _changed(HOUR_CONFIG, GN_CONFIG)
    norm_cfgs = [f'{part}.norm_cfg' for part in (
        'model.backbone', 'model.neck', 'model.roi_head.bbox_head',
        'model.roi_head.mask_head')]
    # GroupNorm everywhere a norm is, the scratch box head, no decay on
    # norms; the data, optimizer, length and losses stay the BatchNorm recipe's
    assert {key.rsplit('.', 1)[0] for key in changed if '.norm_cfg.' in key} == set(norm_cfgs)
    assert {key for key in changed if '.norm_cfg.' not in key} == {
        'model.backbone.zero_init_residual', 'model.roi_head.bbox_head.conv_out_channels',
        'model.roi_head.bbox_head.num_shared_convs', 'model.roi_head.bbox_head.num_shared_fcs',
        'optim_wrapper.paramwise_cfg.norm_decay_mult', 'norm_cfg.type', 'norm_cfg.num_groups',
        'norm_cfg.requires_grad'}
    for key in norm_cfgs:
        assert (gn[f'{key}.type'], gn[f'{key}.num_groups']) == ('GN', 32), key
    assert hour['model.backbone.norm_cfg.type'] == 'BN'
