"""mmengine's Runner with mmskin's checkpoint rules, for the tools."""
import os
from typing import Callable, Sequence, Union

import torch.nn as nn
from mmdet.registry import RUNNERS
from mmengine.dist import master_only
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmskin.utils import checkpoint_loaders, load_weights
from mmskin.utils.checkpoint_fit import REVISE_KEYS


@RUNNERS.register_module()
class LesionRunner(Runner):
    """The runner of ``tools/train.py`` (and of ``tools/test.py``, as
    :class:`LesionTestRunner`).

    * While it trains, validates or tests, checkpoints load through mmskin's
      loaders (:func:`~mmskin.utils.checkpoint_loaders`: ``weights_only``
      unless the user named the file), the pretrained weights of
      ``init_cfg`` included.
    * Every checkpoint it loads (``load_from``, ``--resume``, the test
      checkpoint) must fit the model (:func:`~mmskin.utils.load_weights`);
      for ``load_from`` when training, and only then, the layers named by the
      config's ``load_from_reinit`` may be missing or of another shape.
    """

    #: Layers the checkpoint now loading may leave to their initialisation.
    _reinit = ()

    def train(self) -> nn.Module:
        # A resumed run continues its own weights: nothing may differ.
        self._reinit = () if self.cfg.get('resume') else tuple(
            self.cfg.get('load_from_reinit') or ())
        with checkpoint_loaders():
            return super().train()

    def val(self) -> dict:
        self._reinit = ()
        with checkpoint_loaders():
            return super().val()

    def test(self) -> dict:
        self._reinit = ()
        with checkpoint_loaders():
            return super().test()

    def load_checkpoint(self, filename: str, map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False, revise_keys: Sequence = REVISE_KEYS) -> dict:
        """As mmengine's, but refusing weights that do not fit the model
        (``strict`` is replaced by that rule)."""
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = load_weights(
            model, filename, map_location, reinit=self._reinit, revise_keys=revise_keys,
            on_loaded=lambda loaded: self.call_hook('after_load_checkpoint', checkpoint=loaded))
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


@RUNNERS.register_module()
class LesionTestRunner(LesionRunner):
    """The runner of ``tools/test.py``: :class:`LesionRunner` whose config
    dump goes into the run's own log folder, ``WORK_DIR/<timestamp>/``.

    mmengine's runner writes it to ``WORK_DIR/<config name>``, where training
    keeps the config that made the checkpoints: a test in the training's work
    directory (with ``--tta`` its model is the test-time wrapper, its data the
    test set) would replace that file.
    """

    @master_only
    def dump_config(self) -> None:
        # mmengine's file name (the config's, or the timestamp's), in log_dir
        name = (os.path.basename(self.cfg.filename) if self.cfg.filename is not None else
                f'{self.timestamp}.py')
        self.cfg.dump(os.path.join(self.log_dir, name))
