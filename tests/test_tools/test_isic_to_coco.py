"""The converter's command line."""
import json
import runpy
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmskin.datasets.conversion import OFFICIAL_LAYOUTS
from mmskin.datasets.synthetic import generate_isic_layout

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'dataset_converters' / 'isic_to_coco.py'
ISBI = OFFICIAL_LAYOUTS['isbi2016']
MASKS = ISBI.mask_dir.format(split='Training')
NUM_IMAGES = 4


@pytest.fixture
def isbi(tmp_path) -> Path:
    root = tmp_path / 'data'
    generate_isic_layout(root, 'isbi2016', num_train=NUM_IMAGES, num_test=0, scale=0.04,
                         malignant_fraction=0.5)
    return root


def _mask_shape(root: Path) -> tuple:
    with Image.open(root / MASKS / 'ISIC_0000001_Segmentation.png') as mask:
        return mask.size[::-1]


def _write_mask(root: Path, mask: np.ndarray) -> None:
    Image.fromarray(mask).save(root / MASKS / 'ISIC_0000001_Segmentation.png')


def test_masks_are_rle_unless_polygons_are_asked_for(isbi, tmp_path, capsys):
    main = runpy.run_path(str(TOOL))['main']
    main(['isbi2016', str(isbi), '--split', 'Training', '--out', str(tmp_path / 'a.json')])
    annotations = json.loads((tmp_path / 'a.json').read_text())['annotations']
    assert all(isinstance(a['segmentation'], dict) for a in annotations)  # RLE
    main(['isbi2016', str(isbi), '--split', 'Training', '--out', str(tmp_path / 'b.json'),
          '--polygon'])
    annotations = json.loads((tmp_path / 'b.json').read_text())['annotations']
    assert all(isinstance(a['segmentation'], list) for a in annotations)


def test_cli(isbi, tmp_path, capsys):
    main = runpy.run_path(str(TOOL))['main']
    out = tmp_path / 'cli.json'
    main(['isbi2016', str(isbi), '--split', 'Training', '--out', str(out)])
    assert capsys.readouterr().out.strip().endswith(
        'dropped 0 (indeterminate); skipped 0 (bad)')
    assert len(json.loads(out.read_text())['images']) == NUM_IMAGES

    _write_mask(isbi, np.zeros(_mask_shape(isbi), np.uint8))
    with pytest.raises(SystemExit) as info:
        main(['isbi2016', str(isbi), '--split', 'Training', '--out', str(out)])
    assert info.value.code == (f'error: {isbi / MASKS / "ISIC_0000001_Segmentation.png"}: '
                               'mask is empty (all 0)')
    main(['isbi2016', str(isbi), '--split', 'Training', '--out', str(out), '--skip-bad',
          '--polygon'])
    assert 'skipped 1 (bad)' in capsys.readouterr().out

    for argv in (['isbi2016', str(isbi), '--out', str(out)],
                 ['isbi2016', str(isbi), '--split', 'Validation', '--out', str(out)],
                 ['archive', str(isbi), '--images', 'x', '--out', str(out)]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2


BASE = ['isic2017', 'data', '--split', 'Training', '--out', 'x.json']


@pytest.mark.parametrize('flags, polygon', [([], False), (['--rle'], False),
                                            (['--polygon'], True)])
def test_rle_is_the_default(load_tool, flags, polygon):
    tool = load_tool('tools/dataset_converters/isic_to_coco.py')
    assert tool.parse_args([*BASE, *flags]).polygon is polygon


def test_rle_and_polygon_exclude_each_other(load_tool, capsys):
    tool = load_tool('tools/dataset_converters/isic_to_coco.py')
    with pytest.raises(SystemExit):
        tool.parse_args([*BASE, '--rle', '--polygon'])
    assert 'not allowed with argument' in capsys.readouterr().err
