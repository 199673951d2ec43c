"""What ``tools/train.py``, ``tools/test.py`` and ``tools/infer.py`` share:
command-line overrides, work directory, checkpoint trust and resume."""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction

from mmskin.engine import find_resume_checkpoint, is_complete_checkpoint
from mmskin.evaluation.intervals import CI_METHODS
from mmskin.evaluation.statistics import N_RESAMPLES
from mmskin.utils import trust_checkpoint


class ConfigError(ValueError):
    """A config or command line that cannot run, with the reason."""


def add_cfg_options_arg(parser: argparse.ArgumentParser) -> None:
    """mmdet's ``--cfg-options key=value ...``, which every tool with a config takes."""
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value pairs')


def add_interval_args(parser: argparse.ArgumentParser) -> None:
    """The flags of every tool that prints scores with their 95% intervals:
    ``--ci bootstrap|none``, ``--ci-resamples N`` and ``--seed S``."""
    parser.add_argument(
        '--ci', choices=CI_METHODS, default='bootstrap',
        help='95%% intervals beside the scores: bootstrap over images (DeLong for AUC), or none')
    parser.add_argument('--ci-resamples', type=int, default=N_RESAMPLES,
                        help='bootstrap resamples (default %(default)s)')
    parser.add_argument('--seed', type=int, default=0, help='bootstrap seed')


def interval_resamples(args: argparse.Namespace) -> int:
    """Bootstrap resamples the interval flags ask for (0: no intervals)."""
    return args.ci_resamples if args.ci == 'bootstrap' else 0


def add_common_args(parser: argparse.ArgumentParser, work_dir_help: str) -> None:
    """The flags ``tools/train.py`` and ``tools/test.py`` share with mmdet's:
    ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument('--work-dir', help=work_dir_help)
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_tool_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line and export ``LOCAL_RANK`` if no launcher did."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


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
