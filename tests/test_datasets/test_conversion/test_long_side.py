"""The long-side copy of a split gives the training pipeline the same
masks (and, lossless, the same pixels) as resizing at load time."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope

import mmskin  # noqa: F401  registers the transforms
from mmskin.datasets.conversion import resize_split
from mmskin.utils import ISICFileError, tight_box

LONG_SIDE = 64  # the tiny images have a long side of about 130


def _load_and_resize(data_root, ann_file):
    """The base config's training loading and resizing on every image."""
    init_default_scope('mmdet')
    coco = json.loads((Path(data_root) / ann_file).read_text())
    pipeline = Compose([
        dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='Resize', scale=(LONG_SIDE, LONG_SIDE), keep_ratio=True),
    ])
    outputs = []
    for info in coco['images']:
        ann = next(a for a in coco['annotations'] if a['image_id'] == info['id'])
        x, y, w, h = ann['bbox']
        outputs.append(pipeline(dict(
            img_path=str(Path(data_root) / info['file_name']), img_id=info['id'],
            height=info['height'], width=info['width'],
            instances=[dict(bbox=[x, y, x + w, y + h], bbox_label=ann['category_id'] - 1,
                            mask=ann['segmentation'], ignore_flag=0)])))
    return coco, outputs


@pytest.mark.parametrize('image_format', ['jpg', 'bmp', 'png'])
def test_resized_copy_feeds_the_pipeline_the_same_masks(tiny_coco, tmp_path, image_format):
    root = tmp_path / 'root'
    shutil.copytree(tiny_coco['data_root'], root)
    summary = resize_split(root, tiny_coco['train_ann'], root / 'annotations/train_64.json',
                           'resized_64', long_side=LONG_SIDE, image_format=image_format,
                           progress=False)
    original, at_load = _load_and_resize(root, tiny_coco['train_ann'])
    resized, prepared = _load_and_resize(root, 'annotations/train_64.json')
    assert summary.resized == len(original['images']) and summary.kept == 0
    for info, ann, before, after in zip(resized['images'], resized['annotations'], at_load,
                                        prepared):
        assert info['file_name'].startswith('resized_64/')
        assert info['file_name'].endswith('.' + image_format)
        assert max(info['width'], info['height']) == LONG_SIDE
        assert after['img'].shape == before['img'].shape
        np.testing.assert_array_equal(after['gt_masks'].masks, before['gt_masks'].masks)
        if image_format != 'jpg':  # lossless
            np.testing.assert_array_equal(after['img'], before['img'])
        # box and area recomputed from the resized mask
        mask = before['gt_masks'].masks[0].astype(bool)
        x0, y0, x1, y1 = tight_box(mask)
        assert ann['bbox'] == [x0, y0, x1 - x0, y1 - y0] and ann['area'] == mask.sum()
        assert info['original']['file_name'] in [i['file_name'] for i in original['images']]


def test_images_already_small_are_referenced_in_place(tiny_coco, tmp_path):
    out = tmp_path / 'big.json'
    summary = resize_split(tiny_coco['data_root'], tiny_coco['test_ann'], out, 'unused',
                           long_side=4096, progress=False)
    source = json.loads((Path(tiny_coco['data_root']) / tiny_coco['test_ann']).read_text())
    written = json.loads(out.read_text())
    assert summary.resized == 0 and summary.kept == len(source['images'])
    assert written['images'] == source['images']
    assert written['annotations'] == source['annotations']
    assert not (Path(tiny_coco['data_root']) / 'unused').exists()


def test_bad_input_names_the_file(tiny_coco, tmp_path):
    root = tmp_path / 'root'
    shutil.copytree(tiny_coco['data_root'], root)
    coco = json.loads((root / tiny_coco['train_ann']).read_text())
    broken = root / coco['images'][0]['file_name']
    broken.write_bytes(b'not a jpeg')
    with pytest.raises(ISICFileError, match=broken.name):
        resize_split(root, tiny_coco['train_ann'], tmp_path / 'out.json', 'r', long_side=LONG_SIDE,
                     progress=False)
    assert not (tmp_path / 'out.json').exists()
    (root / 'annotations/bad.json').write_text('{')
    with pytest.raises(ISICFileError, match='bad.json'):
        resize_split(root, 'annotations/bad.json', tmp_path / 'out.json', 'r', progress=False)
