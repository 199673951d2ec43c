"""What the tools share: config loading, common flags, work dir, resume, and
how a failed run is reported (one line naming the file, or a traceback for a
bug)."""
import argparse
import errno
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader, Dataset

from mmskin.apis import (ConfigError, apply_common_args, apply_cpu_threads, enable_instance_masks,
                         load_config, one_line_errors, report_line, resolve_resume)
from mmskin.apis.runner_setup import add_common_args, set_isic_out_dir
from mmskin.engine import NonFiniteLossError
from mmskin.utils import CheckpointIntegrityError, ISICFileError
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


class _BadImage(Dataset):

    def __len__(self):
        return 2

    def __getitem__(self, index):
        raise ISICFileError('/data/ISIC_0000001.jpg', 'corrupt or truncated image')


def test_an_error_raised_in_a_dataloader_worker_is_reported_as_itself():
    loader = DataLoader(_BadImage(), num_workers=1)
    with pytest.raises(Exception) as caught:
        next(iter(loader))
    assert 'DataLoader worker' in str(caught.value)  # torch wraps it
    assert report_line(caught.value) == '/data/ISIC_0000001.jpg: corrupt or truncated image'


@pytest.mark.parametrize('error, line', [
    (ISICFileError('a.jpg', 'not an image'), 'a.jpg: not an image'),
    (NonFiniteLossError('iteration 3: the loss is nan'), 'iteration 3: the loss is nan'),
    (CheckpointIntegrityError('x.pth: damaged'), 'x.pth: damaged'),
    (OSError(errno.ENOSPC, 'No space left on device', '/w/iter_1.pth'),
     '/w/iter_1.pth: No space left on device'),
    (OSError(errno.EFBIG, 'out.json: cannot write the file (File too large)'),
     'out.json: cannot write the file (File too large)'),
    (FileNotFoundError('c.pth: no such checkpoint file'), 'c.pth: no such checkpoint file'),
    (KeyError('a bug'), None),
    (RuntimeError('a bug'), None),
])
def test_report_line(error, line):
    assert report_line(error) == line


def test_one_line_errors_exits_with_the_line_and_keeps_bugs():
    with pytest.raises(SystemExit, match='^error: a.jpg: not an image$'):
        with one_line_errors():
            raise ISICFileError('a.jpg', 'not an image')
    with pytest.raises(ZeroDivisionError), one_line_errors():
        print(1 / 0)


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


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures('restore_threads')
def test_cpu_threads_one_on_small_machines_unless_given(monkeypatch):
    monkeypatch.setattr('os.cpu_count', lambda: 2)
    assert apply_cpu_threads(None, 'cpu') == 1 == torch.get_num_threads()
    assert apply_cpu_threads(2, 'cpu') == 2 == torch.get_num_threads()
    torch.set_num_threads(2)
    assert apply_cpu_threads(None, 'cuda:0') == 2  # the GPU's host threads are left alone
    monkeypatch.setattr('os.cpu_count', lambda: 16)
    assert apply_cpu_threads(None, 'cpu') == 2  # torch's own choice stays
    with pytest.raises(ConfigError, match='--cpu-threads 0'):
        apply_cpu_threads(0, 'cpu')


def test_other_detectors_are_left_alone():
    cfg = Config(dict(model=dict(type='MaskRCNN'), test_evaluator=dict(type='CocoMetric')))
    assert enable_instance_masks(cfg, dump=True) is False
    assert 'instance_masks' not in cfg.model
