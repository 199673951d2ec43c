"""Shared fixtures: tiny ISIC-style data and CPU-sized configs."""
import copy
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'

# CPU-sized model: a ResNet-18-FPN with thin heads.
TINY_CHANNELS = 32
TINY_SCALE = (128, 128)


def _write_tiny_coco(root: Path, n: int, seed: int, name: str) -> str:
    """Images with one elliptic lesion each, as a COCO file under root."""
    rng = np.random.default_rng(seed)
    img_dir = root / 'images'
    img_dir.mkdir(parents=True, exist_ok=True)
    images, anns = [], []
    for i in range(n):
        h, w = int(rng.integers(90, 130)), int(rng.integers(110, 160))
        label = i % 2
        img = np.full((h, w, 3), (150, 170, 205), np.uint8)
        mask = np.zeros((h, w), np.uint8)
        center = (int(rng.integers(w // 3, 2 * w // 3)), int(rng.integers(h // 3, 2 * h // 3)))
        axes = (int(rng.integers(w // 8, w // 4)), int(rng.integers(h // 8, h // 4)))
        cv2.ellipse(mask, center, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
        colour = (40, 50, 110) if label == 0 else (30, 20, 40)
        img[mask > 0] = colour
        file_name = f'images/{name}_{i:03d}.png'
        cv2.imwrite(str(root / file_name), img)
        rle = mask_utils.encode(np.asfortranarray(mask > 0))
        rle['counts'] = rle['counts'].decode()
        ys, xs = np.nonzero(mask)
        box = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
               int(ys.max() - ys.min() + 1)]
        images.append(dict(id=i + 1, file_name=file_name, width=w, height=h,
                           isic_id=f'ISIC_{i:07d}'))
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=label + 1, bbox=box,
                         area=int((mask > 0).sum()), segmentation=rle, iscrowd=0))
    coco = dict(images=images, annotations=anns,
                categories=[dict(id=1, name='benign'), dict(id=2, name='malignant')])
    ann = root / 'annotations' / f'{name}.json'
    ann.parent.mkdir(exist_ok=True)
    ann.write_text(json.dumps(coco))
    return str(ann.relative_to(root))


@pytest.fixture(scope='session')
def tiny_coco(tmp_path_factory):
    """A data root with `train` (8 images) and `test` (4 images) COCO files."""
    root = tmp_path_factory.mktemp('tiny_isic')
    return dict(
        data_root=str(root),
        train_ann=_write_tiny_coco(root, 8, seed=0, name='train'),
        test_ann=_write_tiny_coco(root, 4, seed=1, name='test'))


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
