"""Shared fixtures: tiny ISIC-style data and CPU-sized configs."""
import copy
from pathlib import Path

import pytest

from mmskin.datasets import convert_to_coco, find_official_samples, generate_isic_layout

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'

# CPU-sized model: a ResNet-18-FPN with thin heads.
TINY_CHANNELS = 32
TINY_SCALE = (128, 128)


@pytest.fixture(scope='session')
def tiny_coco(tmp_path_factory):
    """Synthetic ISIC 2017 data (16 training, 6 test images, long side about
    130 px) converted by the ISIC converter: the data root and COCO files."""
    root = tmp_path_factory.mktemp('tiny_isic')
    generate_isic_layout(root, layout='isic2017', num_train=16, num_val=0, num_test=6,
                         seed=0, scale=0.04, malignant_fraction=0.5)
    anns = {}
    for role, split in (('train', 'Training'), ('test', 'Test_v2')):
        ann = root / 'annotations' / f'isic2017_{role}.json'
        convert_to_coco(find_official_samples(root, 'isic2017', split), ann, progress=False)
        anns[role] = str(ann.relative_to(root))
    return dict(data_root=str(root), train_ann=anns['train'], test_ann=anns['test'])


def _walk(node, fn):
    """Apply fn to every dict in a nested config."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            _walk(value, fn)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, fn)


def cpu_sized(cfg, data: dict, work_dir: str, max_iters: int = 2):
    """Shrink a config so one training iteration runs in about a second on a CPU.

    The model keeps its structure and losses; only depth, widths, the input
    size, the data and the schedule length change.
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from = None
    model = cfg.model
    backbone = model.backbone
    backbone.depth = 18
    backbone.init_cfg = None
    ch = TINY_CHANNELS

    def shrink(node):
        if node.get('type') == 'FPN':
            node['in_channels'] = [64, 128, 256, 512]
            node['out_channels'] = ch
        for key in ('in_channels', 'feat_channels', 'out_channels', 'conv_out_channels'):
            if key in node and isinstance(node[key], int) and node.get('type') != 'FPN':
                node[key] = ch
        if 'fc_out_channels' in node:
            node['fc_out_channels'] = 2 * ch
        if node.get('type') == 'Resize' and 'scale' in node:
            node['scale'] = TINY_SCALE
        if node.get('type') == 'Pad' and 'size' in node:
            node['size'] = TINY_SCALE

    _walk(model, shrink)
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        _walk(loader, shrink)
        dataset = loader.dataset
        while 'dataset' in dataset:
            dataset = dataset.dataset
        dataset.data_root = data['data_root']
        dataset.ann_file = data['train_ann'] if split == 'train' else data['test_ann']
        dataset.data_prefix = dict(img='')
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = 2 if split == 'train' else 1
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters + 1
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


@pytest.fixture
def make_cpu_cfg():
    """The `cpu_sized` function, as a fixture for tests in sub-folders."""
    return cpu_sized


@pytest.fixture(scope='session')
def tiny_trained(tiny_coco, tmp_path_factory):
    """The paper's config shrunk by `cpu_sized` (no validation, few
    proposals), trained two iterations through mmengine's Runner on
    `tiny_coco`: the config file, the run's last checkpoint (sealed with its
    content hash, as every checkpoint of a run) and the data."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    work_dir = tmp_path_factory.mktemp('tiny_trained')
    cfg = cpu_sized(Config.fromfile(str(REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py')),
                    tiny_coco, str(work_dir / 'run'))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=20)
    cfg.model.test_cfg.rcnn.max_per_img = 5
    cfg.randomness = dict(seed=0)
    cfg.log_level = 'WARNING'
    config = work_dir / 'tiny_config.py'
    cfg.dump(str(config))
    Runner.from_cfg(cfg).train()
    return dict(config=config, checkpoint=work_dir / 'run' / 'iter_2.pth', data=tiny_coco)
