import pytest
from mmengine.config import Config

from mmskin.apis import enable_instance_masks


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
    import torch
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures('restore_threads')
def test_cpu_threads_one_on_small_machines_unless_given(monkeypatch):
    import torch
    from mmskin.apis import apply_cpu_threads
    from mmskin.apis.runner_setup import ConfigError
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
