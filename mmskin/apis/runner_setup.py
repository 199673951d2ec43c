"""What ``tools/train.py``, ``tools/test.py`` and ``tools/infer.py`` share:
command-line overrides, work directory, checkpoint trust and resume, and
how a failed run is reported."""
import argparse
import errno
import os
import os.path as osp
import re
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

import torch
from mmengine.config import Config, DictAction

from mmskin.engine import (CheckpointWriteError, NonFiniteLossError, NonFiniteWeightsError,
                           find_resume_checkpoint, is_complete_checkpoint)
from mmskin.evaluation.intervals import CI_METHODS
from mmskin.evaluation.statistics import N_RESAMPLES
from mmskin.utils import (CheckpointIntegrityError, ISICFileError, UntrustedCheckpointError,
                          trust_checkpoint)


class ConfigError(ValueError):
    """A config or command line that cannot run, with the reason."""


#: Errors whose message is the whole report: one line naming the file (or the
#: iteration) and the problem.
REPORTED_ERRORS = (ConfigError, ISICFileError, NonFiniteLossError, NonFiniteWeightsError,
                   CheckpointWriteError, CheckpointIntegrityError, UntrustedCheckpointError)
#: System errors of writing and reading files, reported with the file's name.
FILE_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS,
               errno.ENOENT, errno.EIO)
# The last line of a traceback re-raised from a DataLoader worker:
# "<module>.<Name>: <message>".
_WORKER_ERROR = re.compile(r'^(?:[\w.]+\.)?(?P<name>\w+): (?P<message>.+)$')


def report_line(error: BaseException) -> Optional[str]:
    """The one-line report of an error a user can act on, or None for a bug.

    Besides :data:`REPORTED_ERRORS` and file system errors, this recognises
    them when a DataLoader worker raised them (torch re-raises them in the
    main process wrapped in a traceback text).
    """
    if isinstance(error, REPORTED_ERRORS):
        return str(error)
    if isinstance(error, FileNotFoundError) or (isinstance(error, OSError)
                                                and error.errno in FILE_ERRNOS):
        if error.filename is not None:
            return f'{error.filename}: {error.strerror}'
        return error.strerror or str(error)
    text = str(error)
    if 'DataLoader worker' in text:
        last = text.strip().splitlines()[-1]
        match = _WORKER_ERROR.match(last)
        names = {kind.__name__ for kind in REPORTED_ERRORS}
        if match and match['name'] in names:
            return match['message']
    return None


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn the errors of :func:`report_line` into ``error: <line>`` on stderr
    and exit status 1; anything else (a bug) keeps its traceback. SIGTERM
    is turned into ``KeyboardInterrupt``, so that the clean-up of an
    interrupted run (staged and pending files) happens too."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f'signal {signum}')

    # Signal handlers can only be set from the main thread.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, interrupted) if main_thread else None
    try:
        yield
    except KeyboardInterrupt:
        sys.exit('error: interrupted; the outputs written before are kept')
    except Exception as error:  # classified by report_line
        line = report_line(error)
        if line is None:
            raise
        sys.exit(f'error: {line}')
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


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


#: CPU count up to which inference runs torch on one thread by default.
#: benchmarks/cpu_inference.py, 2 shared cores: one thread is 4.5x faster
#: at 256 px (1.9x at 1024 px) than torch's default of one per core (the
#: OpenMP workers of every operator wait on cores the other jobs hold);
#: masks and probabilities unchanged.
SINGLE_THREAD_MAX_CPUS = 2


def add_threads_arg(parser: argparse.ArgumentParser) -> None:
    """``--cpu-threads N``: torch's intra-op threads for CPU inference."""
    parser.add_argument(
        '--cpu-threads', type=int,
        help='torch threads on CPU (default: 1 on machines with up to '
        f'{SINGLE_THREAD_MAX_CPUS} cores, else torch\'s default of one per core)')


def apply_cpu_threads(threads: Optional[int], device: str = 'cpu') -> int:
    """Set torch's intra-op threads for inference on ``device``; returns the
    number in use. Without ``threads``: 1 on a CPU machine with at most
    :data:`SINGLE_THREAD_MAX_CPUS` cores, else torch's default."""
    if threads is not None:
        if threads < 1:
            raise ConfigError(f'--cpu-threads {threads}: must be at least 1')
        torch.set_num_threads(threads)
    elif device.startswith('cpu') and (os.cpu_count() or 1) <= SINGLE_THREAD_MAX_CPUS:
        torch.set_num_threads(1)
    return torch.get_num_threads()
