"""Shared by the transform tests: the base dataset config and a sample
prepared by its Resize + Pad."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmskin  # noqa: F401  registers the transforms
from mmskin.datasets.transforms import BoxFromMask
from mmskin.utils import tight_box

CONFIG = Path(__file__).resolve().parents[3] / 'configs/_base_/datasets/isic_instance.py'
# Non-square on purpose: resizing its long side to 1024 leaves padding.
HEIGHT, WIDTH = 120, 200
LESION_BGR = (30, 30, 30)  # darker than any skin pixel of the samples


@pytest.fixture(scope='module')
def cfg():
    init_default_scope('mmdet')
    return Config.fromfile(str(CONFIG))


def _step(pipeline, name):
    return next(copy.deepcopy(t) for t in pipeline if t['type'] == name)


@pytest.fixture(scope='module')
def branches(cfg):
    """The six RandomChoice branches of the config's train pipeline."""
    return _step(cfg.train_pipeline, 'RandomChoice')['transforms']


def _loaded_sample(h: int = HEIGHT, w: int = WIDTH) -> dict:
    """What LoadImageFromFile + LoadAnnotations give for one lesion away
    from the image centre (so that flips and turns move it)."""
    rng = np.random.default_rng(0)
    img = rng.integers(60, 200, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 3, h // 3), (w // 6, h // 7), 20, 0, 360, 1, -1)
    img[mask > 0] = LESION_BGR
    return dict(
        img=img, img_shape=(h, w), ori_shape=(h, w),
        gt_bboxes=HorizontalBoxes(tight_box(mask)[None]),
        gt_bboxes_labels=np.array([1]),
        gt_ignore_flags=np.array([False]),
        gt_masks=BitmapMasks(mask[None], h, w))


@pytest.fixture(scope='module')
def prepared(cfg):
    """A sample after the config's Resize + Pad, box taken from the mask."""
    resize_pad = Compose([_step(cfg.train_pipeline, 'Resize'),
                          _step(cfg.train_pipeline, 'Pad'),
                          BoxFromMask()])
    return resize_pad(_loaded_sample())
