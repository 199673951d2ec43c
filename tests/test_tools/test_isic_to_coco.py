"""tools/dataset_converters/isic_to_coco.py: RLE is the default encoding."""
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/dataset_converters/isic_to_coco.py'
BASE = ['isic2017', 'data', '--split', 'Training', '--out', 'x.json']


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('isic_to_coco', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('flags, polygon', [([], False), (['--rle'], False),
                                            (['--polygon'], True)])
def test_rle_is_the_default(tool, flags, polygon):
    assert tool.parse_args([*BASE, *flags]).polygon is polygon


def test_rle_and_polygon_exclude_each_other(tool, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args([*BASE, '--rle', '--polygon'])
    assert 'not allowed with argument' in capsys.readouterr().err
