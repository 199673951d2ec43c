"""Building a trained lesion model and its test pipeline for inference."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.registry import MODELS
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from mmskin.models.detectors import SkinLesionMaskRCNN
from mmskin.utils import load_weights, trust_checkpoint
from .config_setup import load_config
from .errors import ConfigError
from .test_time_aug import DEFAULT_TTA_MODEL, tta_pipeline_of


def build_test_pipeline(cfg: Config, tta: bool = False) -> Compose:
    """The config's test pipeline (with ``tta``, its test-time augmentation
    pipeline, :func:`~mmskin.apis.tta_pipeline_of`) for an image given as an
    array.

    As mmdet's ``inference_detector``: the loading step becomes
    ``LoadImageFromNDArray``. Steps that load annotations are removed, since
    new photos have none.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    pipeline = tta_pipeline_of(cfg) if tta else copy.deepcopy(get_test_pipeline_cfg(cfg))
    steps = [step for step in pipeline if 'LoadAnnotations' not in _type_name(step)]
    for step in steps:
        if _type_name(step).endswith('TestTimeAug'):
            step['transforms'] = [
                options for options in step['transforms']
                if not all('LoadAnnotations' in _type_name(option) for option in options)
            ]
    if not steps or 'LoadImage' not in _type_name(steps[0]):
        raise ConfigError(f'{cfg.filename}: the test pipeline must start with an image loading '
                          f'step, found {[_type_name(s) for s in steps[:1]]}')
    steps[0]['type'] = 'mmdet.LoadImageFromNDArray'
    return Compose(steps)


def _type_name(step: dict) -> str:
    kind = step.get('type', '')
    return kind if isinstance(kind, str) else kind.__name__


def init_lesion_model(config: Union[str, Path, Config],
                      checkpoint: Union[str, Path],
                      device: str = 'cpu',
                      cfg_options: Optional[dict] = None,
                      tta: bool = False) -> nn.Module:
    """Build the config's model and load a checkpoint into it, for inference.

    Like mmdet's ``init_detector``, but the checkpoint is trusted first (it
    is the one the user named, see ``mmskin/utils/checkpoint.py``), its
    weights must fit the model (:func:`mmskin.utils.load_weights`: a
    checkpoint of another architecture, one missing layers or holding a
    non-finite weight is an error, not a model with random layers) and the
    model must be a
    :class:`~mmskin.models.detectors.SkinLesionMaskRCNN`, whose predictions
    carry the combined lesion. With ``tta`` it is wrapped in the config's
    ``tta_model`` (default :class:`~mmskin.models.test_time_augs.LesionTTAModel`),
    to be run on :func:`build_test_pipeline` ``(cfg, tta=True)``.

    Raises:
        FileNotFoundError: the config or checkpoint file does not exist.
        ConfigError: the device is unavailable or the model is not a
            ``SkinLesionMaskRCNN``.
        CheckpointMismatchError: the checkpoint's weights do not fit the model.
    """
    if isinstance(config, (str, Path)):
        if not Path(config).is_file():
            raise FileNotFoundError(f'{config}: no such config file')
        config = load_config(str(config))
    cfg = copy.deepcopy(config)
    checkpoint = str(checkpoint)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not checkpoint.startswith(('http://', 'https://')) and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'{checkpoint}: no such checkpoint file')
    try:
        device_type = torch.device(device).type
    except RuntimeError:
        raise ConfigError(f'--device {device}: not a device name (e.g. cpu, cuda:0)') from None
    if device_type == 'cuda' and not torch.cuda.is_available():
        raise ConfigError(f'--device {device}: CUDA is not available on this machine; '
                          'use --device cpu')

    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    if not isinstance(model, SkinLesionMaskRCNN):
        raise ConfigError(f'{cfg.filename}: model.type is {type(model).__name__}; inference '
                          'needs SkinLesionMaskRCNN (or a subclass), whose predictions hold '
                          'the combined lesion')
    model = revert_sync_batchnorm(model)
    trust_checkpoint(checkpoint)
    load_weights(model, checkpoint, map_location='cpu')
    if tta:
        model = MODELS.build(dict(cfg.get('tta_model') or DEFAULT_TTA_MODEL, module=model))
    model.cfg = cfg
    return model.to(device).eval()
