"""tools/test.py's runner leaves the training run's config dump alone."""
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel

from mmskin.engine import LesionRunner, LesionTestRunner

TRAINING_DUMP = "model = dict(type='SkinLesionMaskRCNN')\n"


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(1, 1)

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return self.layer(inputs)


def _runner(runner_cls, tmp_path, work_dir):
    config = tmp_path / 'lesion.py'
    config.write_text("model = dict(type='LesionTTAModel', module=dict(type='Detector'))\n")
    return runner_cls(model=_Toy(), work_dir=str(work_dir), cfg=Config.fromfile(str(config)),
                      experiment_name='test')


def test_test_runner_dumps_its_config_into_its_log_folder(tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'lesion.py').write_text(TRAINING_DUMP)
    runner = _runner(LesionTestRunner, tmp_path, work_dir)
    # the training's dump is as it was; the test's config is kept beside its log
    assert (work_dir / 'lesion.py').read_text() == TRAINING_DUMP
    dumped = Config.fromfile(str(work_dir / runner.timestamp / 'lesion.py'))
    assert dumped.model.type == 'LesionTTAModel'


def test_training_runner_still_dumps_into_the_work_dir(tmp_path):
    # mmengine's place, where the test runner must not write
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'lesion.py').write_text(TRAINING_DUMP)
    _runner(LesionRunner, tmp_path, work_dir)
    assert Config.fromfile(str(work_dir / 'lesion.py')).model.type == 'LesionTTAModel'
