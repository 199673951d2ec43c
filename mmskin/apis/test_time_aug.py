"""Test-time augmentation for ``tools/test.py --tta`` and ``tools/infer.py
--tta``, as mmdet's ``tools/test.py --tta``: the config's ``tta_model``
wraps its model, and its ``tta_pipeline`` replaces the test pipeline."""
import copy
from typing import List

from mmengine.config import Config, ConfigDict

from .errors import ConfigError

#: The TTA model of a config without ``tta_model``.
DEFAULT_TTA_MODEL = dict(type='LesionTTAModel')
#: The views of a derived ``tta_pipeline``: the photo and its two flips.
DEFAULT_FLIPS = (
    dict(type='RandomFlip', prob=0.0),
    dict(type='RandomFlip', prob=1.0, direction='horizontal'),
    dict(type='RandomFlip', prob=1.0, direction='vertical'),
)
_FLIP_KEYS = ('flip', 'flip_direction')


def _type_name(step: dict) -> str:
    kind = step.get('type', '')
    return kind if isinstance(kind, str) else kind.__name__


def tta_pipeline_from_test(test_pipeline: List[dict]) -> List[dict]:
    """The test pipeline with the views of :data:`DEFAULT_FLIPS`.

    The flips come right after the (last) ``Resize``: before the padding, so
    that it stays at the bottom and right of every view, where the detector
    clips its boxes (``SkinLesionMaskRCNN``). The steps after it run in each
    view (mmcv's ``TestTimeAug``), and the packing step records the flip.

    Raises:
        ConfigError: the pipeline has no ``Resize`` step.
    """
    steps = copy.deepcopy(list(test_pipeline))
    resized = [i for i, step in enumerate(steps) if _type_name(step).endswith('Resize')]
    if not resized:
        raise ConfigError('the test pipeline has no Resize step to put the flips after; set '
                          'tta_pipeline in the config')
    head, tail = steps[:resized[-1] + 1], steps[resized[-1] + 1:]
    for step in tail:
        if _type_name(step).endswith('PackDetInputs') and 'meta_keys' in step:
            step['meta_keys'] = tuple(step['meta_keys']) + tuple(
                key for key in _FLIP_KEYS if key not in step['meta_keys'])
    views = [copy.deepcopy(list(DEFAULT_FLIPS))] + [[step] for step in tail]
    return head + [dict(type='TestTimeAug', transforms=views)]


def tta_pipeline_of(cfg: Config) -> List[dict]:
    """The config's ``tta_pipeline``, else :func:`tta_pipeline_from_test` of
    its test pipeline."""
    if cfg.get('tta_pipeline') is not None:
        return copy.deepcopy(cfg.tta_pipeline)
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return tta_pipeline_from_test(dataset.pipeline)


def apply_tta(cfg: Config) -> None:
    """Wrap ``cfg.model`` in the config's ``tta_model`` (default
    :data:`DEFAULT_TTA_MODEL`) and test with :func:`tta_pipeline_of`.

    Raises:
        ConfigError: the model already is such a wrapper (a config dumped by
            a test with ``--tta``), or see :func:`tta_pipeline_from_test`.
    """
    if 'module' in cfg.model:
        raise ConfigError(f'{cfg.filename}: its model is already a test-time augmentation '
                          f'wrapper ({cfg.model.get("type")}); --tta wraps the detector: give '
                          'the config the checkpoint was trained with')
    pipeline = tta_pipeline_of(cfg)
    cfg.model = ConfigDict(**(cfg.get('tta_model') or DEFAULT_TTA_MODEL), module=cfg.model)
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    dataset.pipeline = pipeline
