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
