"""What the tools change in a loaded config: command-line overrides, the work
directory, checkpoint trust and resume, and the ISIC metrics' outputs."""
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, Optional

from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE

from mmskin.engine import find_resume_checkpoint, is_complete_checkpoint
from mmskin.utils import trust_checkpoint
from .errors import ConfigError


@contextmanager
def _mmskin_config_bases() -> Iterator[None]:
    """Let ``_base_ = 'mmskin::isic/...'`` resolve while configs are parsed.

    mmengine reads such a base from the installed package's
    ``.mim/configs`` (where mmskin's setup.py ships ``configs/``), but only
    for the packages in its own ``MODULE2PACKAGE`` table. mmskin's entry
    stays for the parse alone: importing mmskin changes nothing in mmengine.
    """
    added = 'mmskin' not in MODULE2PACKAGE
    if added:
        MODULE2PACKAGE['mmskin'] = 'mmskin'
    try:
        yield
    finally:
        if added:
            del MODULE2PACKAGE['mmskin']


def _drop_mmskin_scope(node) -> None:
    """Remove the ``_scope_='mmskin'`` mmengine gives what an ``'mmskin::'``
    base defines: mmskin has no registry scope of its own (its modules are
    in mmdet's registries), so those entries must be built in the config's
    ``default_scope``, as the repository's own configs are."""
    if isinstance(node, dict):
        if node.get('_scope_') == 'mmskin':
            del node['_scope_']
        children = node.values()
    elif isinstance(node, (list, tuple)):
        children = node
    else:
        return
    for child in children:
        _drop_mmskin_scope(child)


def load_config(path: str) -> Config:
    """``Config.fromfile`` with ``'mmskin::'`` bases, and a
    :class:`ConfigError` naming the file when it is missing or does not
    parse."""
    if not osp.isfile(path):
        raise ConfigError(f'config file {path} does not exist')
    try:
        with _mmskin_config_bases():
            cfg = Config.fromfile(path)
    except Exception as err:  # syntax errors, unknown bases, bad Python
        raise ConfigError(f'{path}: cannot load the config: {err}') from err
    _drop_mmskin_scope(cfg._cfg_dict)
    return cfg


def apply_common_args(cfg: Config, args) -> None:
    """Launcher, ``--cfg-options`` and the work directory, as mmdet's tools do.

    The work directory is ``--work-dir``, else the config's ``work_dir``, else
    ``work_dirs/<config name>``. Checkpoints inside it and the config's
    ``load_from`` are trusted (``mmskin.utils.trust_checkpoint``).
    """
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(cfg.filename))[0])
    trust_checkpoint(cfg.work_dir)
    trust_checkpoint(cfg.get('load_from'))


def resolve_resume(cfg: Config, resume: Optional[str]) -> None:
    """Apply ``--resume`` (``'auto'``: the latest checkpoint in the work dir).

    Unlike mmengine, which silently starts afresh when asked to resume from an
    empty work directory, this raises :class:`ConfigError`, as it does for a
    checkpoint that is missing or incomplete
    (:func:`mmskin.engine.find_resume_checkpoint`).
    """
    if resume is None:
        return
    if resume == 'auto':
        try:
            resume = find_resume_checkpoint(cfg.work_dir)
        except (FileNotFoundError, ValueError) as err:
            raise ConfigError(str(err)) from err
    elif not resume.startswith(('http://', 'https://')):
        if not osp.isfile(resume):
            raise ConfigError(f'--resume: checkpoint file {resume} does not exist')
        if not is_complete_checkpoint(resume):
            raise ConfigError(f'--resume: {resume} is incomplete or corrupt: not a whole '
                              'torch checkpoint')
    cfg.resume = True
    cfg.load_from = resume
    trust_checkpoint(resume)


def set_isic_out_dir(cfg: Config, out_dir: str) -> None:
    """Make the ISIC metrics of ``test_evaluator`` write their per-image files
    (CSV, mask PNGs, Part 3 CSV) into ``out_dir``."""
    evaluator = cfg.test_evaluator
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    found = False
    for metric in metrics:
        if str(metric.get('type', '')).startswith('ISIC'):
            metric['out_dir'] = out_dir
            found = True
    if not found:
        raise ConfigError(f'{cfg.filename}: test_evaluator has no ISIC metric to write '
                          f'{out_dir} (expected ISICSegMetric / ISICClsMetric)')


def set_isic_intervals(cfg: Config, n_resamples: int, seed: int = 0) -> None:
    """Make the ISIC metrics of ``test_evaluator`` (if any) report 95%
    intervals from ``n_resamples`` bootstrap resamples (0: none)."""
    evaluator = cfg.test_evaluator
    for metric in evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]:
        if str(metric.get('type', '')).startswith('ISIC'):
            metric['ci_resamples'] = n_resamples
            metric['ci_seed'] = seed


#: Metrics that read every detection's mask from ``pred_instances``.
INSTANCE_MASK_METRICS = ('CocoMetric', 'DumpDetResults')


def enable_instance_masks(cfg: Config, dump: bool = False, show: bool = False) -> bool:
    """Turn on mmdet's full instance output (``model.instance_masks``) when
    something reads it: a dump of the raw predictions (``--out``), painted
    predictions (``--show``, ``--show-dir``) or a COCO-style metric in
    ``test_evaluator``. Otherwise the model pastes the lesion's mask only
    (``SkinLesionMaskRCNN``). Returns whether it was turned on."""
    evaluator = cfg.get('test_evaluator') or []
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    types = [str(metric.get('type', '')) for metric in metrics]
    needed = dump or show or any(t.split('.')[-1] in INSTANCE_MASK_METRICS for t in types)
    # Only a SkinLesionMaskRCNN takes the switch; other detectors always
    # give every mask.
    ours = 'instance_masks' in cfg.model or 'SkinLesionMaskRCNN' in str(cfg.model.get('type'))
    if needed and ours:
        cfg.model.instance_masks = True
    return needed and ours


#: Counts of the training schedule, each a whole number >= 1 when set.
SCHEDULE_COUNTS = ('max_iters', 'max_epochs', 'val_interval')


def check_train_schedule(cfg: Config) -> None:
    """Raise :class:`ConfigError` unless every count of ``train_cfg`` that is
    set is a whole number >= 1: mmengine runs a schedule of 0 or -5
    iterations as a training of nothing, which ends with exit status 0."""
    train_cfg = cfg.get('train_cfg') or {}
    for key in SCHEDULE_COUNTS:
        value = train_cfg.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ConfigError(f'{cfg.filename}: train_cfg.{key} = {value!r}: expected a whole '
                              'number >= 1')


def add_operating_point_metric(cfg: Config, point: dict) -> None:
    """Make the test report the decisions at an operating point beside those
    at the ISIC 0.5 (``OperatingPointMetric``); ``point`` as
    :func:`mmskin.analysis.operating_point.read_operating_point` returns it."""
    evaluator = cfg.get('test_evaluator') or []
    metrics = list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]
    calibration = point.get('calibration')
    metrics.append(dict(
        type='OperatingPointMetric', threshold=point['threshold'], rule=point['rule'],
        calibration=None if calibration is None else {k: calibration[k]
                                                      for k in ('method', 'a', 'b')}))
    cfg.test_evaluator = metrics
