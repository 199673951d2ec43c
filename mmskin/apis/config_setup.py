"""What the tools change in a loaded config: command-line overrides, the work
directory, checkpoint trust and resume, and the ISIC metrics' outputs."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from mmskin.engine import find_resume_checkpoint, is_complete_checkpoint
from mmskin.utils import trust_checkpoint
from .errors import ConfigError


def load_config(path: str) -> Config:
    """``Config.fromfile`` with a :class:`ConfigError` naming the file when it
    is missing or does not parse."""
    if not osp.isfile(path):
        raise ConfigError(f'config file {path} does not exist')
    try:
        return Config.fromfile(path)
    except Exception as err:  # syntax errors, unknown bases, bad Python
        raise ConfigError(f'{path}: cannot load the config: {err}') from err


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
