"""Command-line flags the tools share, spelt as MMDetection's tools spell them."""
import argparse
import os

from mmengine.config import DictAction

from mmskin.evaluation.intervals import CI_METHODS
from mmskin.evaluation.statistics import N_RESAMPLES
from .arg_types import nonnegative_int, positive_int
from .threads import SINGLE_THREAD_MAX_CPUS


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
    parser.add_argument('--ci-resamples', type=positive_int, default=N_RESAMPLES,
                        help='bootstrap resamples (default %(default)s; --ci none for none)')
    parser.add_argument('--seed', type=nonnegative_int, default=0, help='bootstrap seed')


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
    parser.add_argument('--local_rank', '--local-rank', type=nonnegative_int, default=0)


def parse_tool_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line and export ``LOCAL_RANK`` if no launcher did."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def add_threads_arg(parser: argparse.ArgumentParser) -> None:
    """``--cpu-threads N``: torch's intra-op threads for CPU inference."""
    parser.add_argument(
        '--cpu-threads', type=positive_int,
        help='torch threads on CPU (default: 1 on machines with up to '
        f'{SINGLE_THREAD_MAX_CPUS} cores, else torch\'s default of one per core)')
