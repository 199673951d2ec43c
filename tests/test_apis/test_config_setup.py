"""What the tools change in a config: loading, common flags, work dir,
resume, the ISIC metrics' outputs and the full instance output."""
import argparse
from pathlib import Path
from types import SimpleNamespace

import mmengine.config.config as mmengine_config
import pytest
from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE

from mmskin.apis import (ConfigError, add_common_args, apply_common_args, enable_instance_masks,
                         load_config, resolve_resume, set_isic_out_dir)
from mmskin.utils import checkpoint as ckpt_mod


@pytest.fixture(autouse=True)
def _fresh_trust(monkeypatch):
    monkeypatch.setattr(ckpt_mod, '_trusted', set())


def _args(work_dir):
    return SimpleNamespace(launcher='none', cfg_options=None, work_dir=str(work_dir))


def test_resume_auto_in_an_empty_work_dir_is_a_clear_error(tmp_path):
    cfg = Config(dict(load_from=None))
    apply_common_args(cfg, _args(tmp_path))
    with pytest.raises(ConfigError, match='no checkpoint to resume from'):
        resolve_resume(cfg, 'auto')


def test_resume_from_a_missing_file_is_a_clear_error(tmp_path):
    cfg = Config(dict(load_from=None))
    apply_common_args(cfg, _args(tmp_path))
    with pytest.raises(ConfigError, match='does not exist'):
        resolve_resume(cfg, str(tmp_path / 'nope.pth'))


def test_resume_record_naming_a_missing_file_is_a_clear_error(tmp_path):
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_9.pth'))
    cfg = Config(dict(load_from=None))
    apply_common_args(cfg, _args(tmp_path))
    with pytest.raises(ConfigError, match='iter_9.pth'):
        resolve_resume(cfg, 'auto')


def test_a_missing_or_broken_config_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match='nope.py does not exist'):
        load_config(str(tmp_path / 'nope.py'))
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(\n')
    with pytest.raises(ConfigError, match='broken.py: cannot load the config'):
        load_config(str(broken))


def test_mmskin_bases_resolve_while_mmskin_loads_a_config(tmp_path, monkeypatch):
    """``'mmskin::'`` reads the installed package's ``.mim/configs``; mmengine
    knows the package only while ``load_config`` parses, and what the base
    defines is built in the config's default scope."""
    package = tmp_path / 'site' / 'mmskin'
    (package / '.mim' / 'configs' / 'isic').mkdir(parents=True)
    repo = Path(__file__).resolve().parents[2]
    (package / '.mim' / 'model-index.yml').write_text((repo / 'model-index.yml').read_text())
    (package / '.mim' / 'configs' / 'isic' / 'base.py').write_text(
        "model = dict(type='SkinLesionMaskRCNN', depth=1)\n")
    monkeypatch.setattr(mmengine_config, 'get_installed_path', lambda name: str(package))
    leaf = tmp_path / 'leaf.py'
    leaf.write_text("_base_ = 'mmskin::isic/base.py'\nmodel = dict(depth=2)\n")
    with pytest.raises(AssertionError, match='does not support to load mmskin'):
        Config.fromfile(str(leaf))
    assert load_config(str(leaf)).model == dict(type='SkinLesionMaskRCNN', depth=2)
    assert 'mmskin' not in MODULE2PACKAGE


def test_common_flags_override_the_config_and_trust_the_work_dir(tmp_path):
    parser = argparse.ArgumentParser()
    add_common_args(parser, work_dir_help='where')
    args = parser.parse_args(['--work-dir', str(tmp_path / 'w'), '--cfg-options',
                              'model.lesion_cfg.mode=union', 'train_cfg.max_iters=7'])
    cfg = Config(dict(model=dict(lesion_cfg=dict(type='LesionCombinationHead')),
                      train_cfg=dict(max_iters=1), load_from=None))
    apply_common_args(cfg, args)
    assert cfg.model.lesion_cfg == dict(type='LesionCombinationHead', mode='union')
    assert cfg.train_cfg.max_iters == 7 and cfg.work_dir == str(tmp_path / 'w')
    assert cfg.launcher == 'none'
    assert ckpt_mod.is_trusted(str(tmp_path / 'w' / 'iter_7.pth'))


def test_isic_out_dir_reaches_every_isic_metric():
    cfg = Config(dict(test_evaluator=[dict(type='ISICSegMetric'), dict(type='ISICClsMetric'),
                                      dict(type='CocoMetric')]))
    set_isic_out_dir(cfg, 'out')
    assert [m.get('out_dir') for m in cfg.test_evaluator] == ['out', 'out', None]
    cfg = Config(dict(test_evaluator=dict(type='CocoMetric')))
    with pytest.raises(ConfigError, match='no ISIC metric'):
        set_isic_out_dir(cfg, 'out')


def _cfg(evaluator):
    return Config(dict(model=dict(type='SkinLesionMaskRCNN', instance_masks=False),
                       test_evaluator=evaluator))


@pytest.mark.parametrize('evaluator, dump, show, expected', [
    ([dict(type='ISICSegMetric'), dict(type='ISICClsMetric')], False, False, False),
    ([dict(type='ISICSegMetric')], True, False, True),
    ([dict(type='ISICSegMetric')], False, True, True),
    (dict(type='CocoMetric', metric=['segm']), False, False, True),
    ([dict(type='ISICSegMetric'), dict(type='mmdet.CocoMetric')], False, False, True),
])
def test_instance_masks_only_for_what_reads_them(evaluator, dump, show, expected):
    cfg = _cfg(evaluator)
    assert enable_instance_masks(cfg, dump=dump, show=show) is expected
    assert cfg.model.instance_masks is expected


def test_other_detectors_are_left_alone():
    cfg = Config(dict(model=dict(type='MaskRCNN'), test_evaluator=dict(type='CocoMetric')))
    assert enable_instance_masks(cfg, dump=True) is False
    assert 'instance_masks' not in cfg.model
