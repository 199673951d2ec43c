"""Shared fixtures: tiny ISIC-style data and CPU-sized configs."""
import copy
import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint
from PIL import Image

from mmskin.datasets import convert_to_coco, find_official_samples, generate_isic_layout

REPO = Path(__file__).resolve().parents[1]
#: The real data beside the repository (ISIC 2016 samples, the ISIC 2017
#: training set); the environment variable MMSKIN_SHARED names another folder.
SHARED = Path(os.environ.get('MMSKIN_SHARED', REPO.parent / 'shared'))
MAIN_CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'

# CPU-sized model: a ResNet-18-FPN with thin heads.
TINY_CHANNELS = 32
TINY_SCALE = (128, 128)


def _write_image(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)
    return path


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """The folder of real data every real-file test reads (:data:`SHARED`)."""
    if not (SHARED / 'isic2017_train').is_dir() or not (SHARED / 'isic_samples').is_dir():
        pytest.fail(f'{SHARED}: the real ISIC data (isic2017_train/, isic_samples/) is needed; '
                    'set MMSKIN_SHARED to the folder that holds it')
    return SHARED


@pytest.fixture
def write_image():
    """``write_image(path, image)``: write an image or mask with OpenCV,
    making its folder; returns the path."""
    return _write_image


def _square_mask(value: int = 255, shape=(6, 8)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[1:4, 2:6] = value
    return mask


@pytest.fixture
def square_mask():
    """``square_mask(value=255, shape=(6, 8))``: a uint8 mask with a 3 x 4
    square of ``value``."""
    return _square_mask


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
    # mmengine keeps one visualizer per name in the process: a run must not
    # write its scalars into the work directory of an earlier test's run.
    if cfg.get('visualizer') is not None:
        cfg.visualizer.name = f'visualizer:{work_dir}'
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


@pytest.fixture
def make_cpu_cfg():
    """The `cpu_sized` function, as a fixture for tests in sub-folders."""
    return cpu_sized


# Photos of every kind a user may have (tests of decoding and inference).
SKIN_BGR = (185, 195, 215)  # bright, so that black contour pixels stand out
LESION_BGR = (110, 120, 170)


def _photo(h: int, w: int) -> np.ndarray:
    """A bright BGR image with an elliptic lesion."""
    img = np.full((h, w, 3), SKIN_BGR, np.uint8)
    cv2.ellipse(img, (w // 2, h // 2), (w // 4, h // 4), 0, 0, 360, LESION_BGR, -1)
    return img


def _lesion_mask(h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (w // 4, h // 4), 0, 0, 360, 255, -1)
    return mask


def _save_rgb(path: Path, bgr: np.ndarray, **kwargs) -> None:
    Image.fromarray(np.ascontiguousarray(bgr[..., ::-1])).save(path, **kwargs)


def _exif_rotated_jpeg(path: Path, h: int, w: int) -> None:
    """A JPEG stored as h x w whose EXIF orientation 6 shows it turned 90
    degrees clockwise (w x h); a red patch marks the stored top-left corner."""
    img = _photo(h, w)
    img[:12, :12] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    _save_rgb(path, img, exif=exif, quality=95)


def _truncated_jpeg(path: Path) -> None:
    ok, buf = cv2.imencode('.jpg', _photo(100, 120))
    assert ok
    data = buf.tobytes()
    path.write_bytes(data[:len(data) // 2])


#: name -> stored (H, W) of the good photos of the mixed folder (images are
#: used as stored: an EXIF orientation tag is ignored).
GOOD = {
    'a_colour.jpg': (120, 160),
    'c_gray.png': (90, 130),
    'e_rgba.png': (100, 100),
    'f_16bit.png': (110, 150),
    'g_exif.jpg': (100, 160),  # shown 160 x 100 by a viewer that applies the tag
}
BAD = ('b_truncated.jpg', 'd_text.jpg')


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    """Good photos of every kind a user may have, and two bad files between them."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a_colour.jpg'), _photo(120, 160))
    _truncated_jpeg(folder / 'b_truncated.jpg')
    cv2.imwrite(str(folder / 'c_gray.png'), cv2.cvtColor(_photo(90, 130), cv2.COLOR_BGR2GRAY))
    (folder / 'd_text.jpg').write_text('lesion notes, not an image\n')
    rgba = np.dstack([_photo(100, 100)[..., ::-1], np.full((100, 100), 128, np.uint8)])
    Image.fromarray(rgba, 'RGBA').save(folder / 'e_rgba.png')
    gray16 = cv2.cvtColor(_photo(110, 150), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    cv2.imwrite(str(folder / 'f_16bit.png'), gray16)
    _exif_rotated_jpeg(folder / 'g_exif.jpg', 100, 160)
    (folder / 'notes.txt').write_text('not an image suffix: ignored\n')
    return folder


@pytest.fixture
def gt_folder(tmp_path) -> Path:
    """Ground-truth masks of the good photos, in both ISIC namings; none
    for the RGBA photo."""
    folder = tmp_path / 'gt'
    folder.mkdir()
    for name, (h, w) in GOOD.items():
        stem = Path(name).stem
        if stem == 'e_rgba':
            continue
        suffix = '_Segmentation.png' if stem == 'c_gray' else '_segmentation.png'
        cv2.imwrite(str(folder / f'{stem}{suffix}'), _lesion_mask(h, w))
    return folder


@pytest.fixture
def model_files(tiny_coco, make_cpu_cfg, tmp_path):
    """The paper's config shrunk to a tiny CPU model, and an untrained
    checkpoint of it saved as a runner would (with Python objects, so that
    it must be trusted to load)."""
    cfg = make_cpu_cfg(Config.fromfile(str(MAIN_CONFIG)), tiny_coco, str(tmp_path / 'work'))
    # Fewer proposals and detections keep an untrained model fast.
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=20)
    cfg.model.test_cfg.rcnn.max_per_img = 5
    init_default_scope('mmdet')
    torch.manual_seed(0)  # the same untrained model whatever ran before
    model = MODELS.build(cfg.model)
    checkpoint = tmp_path / 'tiny.pth'
    save_checkpoint(
        dict(state_dict=model.state_dict(), message_hub=dict(log=HistoryBuffer())),
        str(checkpoint))
    config = tmp_path / 'tiny_config.py'
    cfg.dump(str(config))
    return SimpleNamespace(config=config, checkpoint=checkpoint, state_dict=model.state_dict())


@pytest.fixture(scope='session')
def photos():
    """Helpers that draw and save lesion photos and masks."""
    return SimpleNamespace(photo=_photo, lesion_mask=_lesion_mask, save_rgb=_save_rgb,
                           exif_rotated_jpeg=_exif_rotated_jpeg,
                           truncated_jpeg=_truncated_jpeg, good=GOOD, bad=BAD)


@pytest.fixture(scope='session')
def load_tool():
    """``load_tool('tools/x/y.py')``: the tool as a module, to call its ``main``."""

    def load(relative_path: str):
        path = REPO / relative_path
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


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
