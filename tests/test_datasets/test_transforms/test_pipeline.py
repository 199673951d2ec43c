"""The data preparation of paper II-A as the base dataset config composes
it: loading, resize + pad and the six augmentation branches."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmdet.registry import TRANSFORMS
from PIL import Image

import mmskin  # noqa: F401  registers the transforms
from mmskin.utils import tight_box
HEIGHT, WIDTH = 120, 200  # the prepared sample (conftest.py)
LESION_BGR = (30, 30, 30)  # the lesion colour of the prepared sample


def _step(pipeline, name):
    return next(copy.deepcopy(t) for t in pipeline if t['type'] == name)


def _mask(results: dict) -> np.ndarray:
    return results['gt_masks'].to_ndarray()[0]


def _box(results: dict) -> np.ndarray:
    return results['gt_bboxes'].numpy()[0]


def test_resize_pad_keeps_ratio_and_pads_with_zeros(prepared):
    scale = 1024 / WIDTH
    content_h = round(HEIGHT * scale)
    img = prepared['img']
    assert img.shape == (1024, 1024, 3)
    assert prepared['gt_masks'].to_ndarray().shape == (1, 1024, 1024)
    np.testing.assert_allclose(prepared['scale_factor'], (scale, scale), rtol=1e-3)
    assert img[content_h:].max() == 0  # zero padding below the content
    assert img[:content_h].min() > 0  # content untouched by the padding


@pytest.mark.parametrize('index', range(6))
def test_each_branch_keeps_mask_and_box_consistent(branches, prepared, index):
    branch = Compose(branches[index])
    np.random.seed(index)
    out = branch(copy.deepcopy(prepared))
    mask = _mask(out)
    assert out['img'].shape == (1024, 1024, 3) and out['img'].dtype == np.uint8
    assert mask.shape == (1024, 1024)
    assert set(np.unique(mask)) == {0, 1}
    np.testing.assert_array_equal(_box(out), tight_box(mask))
    assert len(out['gt_bboxes_labels']) == len(out['gt_ignore_flags']) == 1


def test_branches_do_what_the_paper_lists(branches, prepared):
    """Original, h-flip, v-flip, affine, brightness, blur (II-A-3), in order."""
    img, mask = prepared['img'], _mask(prepared)
    outs = []
    for index, branch in enumerate(branches):
        np.random.seed(index)
        outs.append(Compose(branch)(copy.deepcopy(prepared)))
    original, hflip, vflip, affine, bright, blur = outs
    np.testing.assert_array_equal(original['img'], img)
    np.testing.assert_array_equal(hflip['img'], img[:, ::-1])
    np.testing.assert_array_equal(_mask(hflip), mask[:, ::-1])
    np.testing.assert_array_equal(vflip['img'], img[::-1])
    np.testing.assert_array_equal(_mask(vflip), mask[::-1])
    # The affine moves image and mask together: the warped mask covers the
    # warped lesion pixels.
    assert not np.array_equal(_mask(affine), mask)
    assert np.median(affine['img'][_mask(affine) > 0]) == LESION_BGR[0]
    assert 0.7 < _mask(affine).sum() / mask.sum() < 1.3
    for photometric in (bright, blur):
        assert not np.array_equal(photometric['img'], img)
        np.testing.assert_array_equal(_mask(photometric), mask)


def test_random_choice_picks_branches_uniformly(cfg):
    choice = TRANSFORMS.build(_step(cfg.train_pipeline, 'RandomChoice'))
    assert len(choice.transforms) == 6
    np.random.seed(0)
    draws = 6000
    counts = np.bincount([choice.random_pipeline_index() for _ in range(draws)],
                         minlength=6)
    # Binomial sd is sqrt(6000 * 1/6 * 5/6) ~ 29 per branch: 4 sd tolerance.
    np.testing.assert_allclose(counts, draws / 6, atol=120)


def test_augmentation_follows_padding_and_box_follows_augmentation(cfg):
    types = [t['type'] for t in cfg.train_pipeline]
    assert types.index('Pad') < types.index('RandomChoice') < types.index('BoxFromMask')
    assert types[-1] == 'PackDetInputs'


def _write_odd_images(folder: Path) -> dict:
    """Grayscale, RGBA, 16-bit and EXIF-rotated files with known content."""
    h, w = 6, 10
    gray = (np.arange(h * w).reshape(h, w) * 4).astype(np.uint8)
    bgr = np.dstack([gray, gray // 2, gray // 3])
    cv2.imwrite(str(folder / 'gray.png'), gray)
    cv2.imwrite(str(folder / 'rgba.png'), np.dstack([bgr, np.full_like(gray, 9)]))
    cv2.imwrite(str(folder / 'gray16.png'), gray.astype(np.uint16) * 256 + 77)
    cv2.imwrite(str(folder / 'bgr16.png'), bgr.astype(np.uint16) * 256 + 77)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees to display"
    Image.fromarray(np.dstack([gray] * 3)).save(folder / 'exif.jpg', exif=exif, quality=100)
    replicated = np.dstack([gray] * 3)
    return {'gray.png': replicated, 'rgba.png': bgr, 'gray16.png': replicated,
            'bgr16.png': bgr, 'exif.jpg': replicated}


def test_config_loads_any_image_as_uint8_bgr_on_stored_grid(cfg, tmp_path):
    expected = _write_odd_images(tmp_path)
    load = TRANSFORMS.build(_step(cfg.train_pipeline, 'LoadImageFromFile'))
    assert cfg.test_pipeline[0] == cfg.train_pipeline[0]
    for name, want in expected.items():
        img = load(dict(img_path=str(tmp_path / name)))['img']
        assert img.dtype == np.uint8 and img.shape == want.shape, name
        # JPEG is lossy; everything else must be exact.
        atol = 2 if name.endswith('.jpg') else 0
        np.testing.assert_allclose(img, want, atol=atol, err_msg=name)
