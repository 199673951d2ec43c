import importlib.util
import json
import shutil
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'dataset_converters' / 'resize_isic_split.py'


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('resize_isic_split', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_writes_the_copy_and_its_annotation_file(tool, tiny_coco, tmp_path, capsys):
    root = tmp_path / 'root'
    shutil.copytree(tiny_coco['data_root'], root)
    tool.main([str(root), tiny_coco['train_ann'], '--out', 'annotations/train_64.json',
               '--img-dir', 'resized_64', '--long-side', '64'])
    coco = json.loads((root / 'annotations/train_64.json').read_text())
    assert all((root / info['file_name']).is_file() for info in coco['images'])
    assert all(max(info['width'], info['height']) == 64 for info in coco['images'])
    assert f'{len(coco["images"])} resized' in capsys.readouterr().out


def test_missing_annotation_file_is_one_line_naming_it(tool, tiny_coco, tmp_path):
    with pytest.raises(SystemExit, match='error: .*nope.json'):
        tool.main([tiny_coco['data_root'], 'annotations/nope.json', '--out',
                   str(tmp_path / 'o.json'), '--img-dir', 'r'])
