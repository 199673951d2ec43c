"""What the benchmarks share: the machine, timed child processes, large photos,
stage timers, and a config's training step outside the runner.

Each benchmark runs ours and the reference in one invocation, alternating
A/B/A/B so that both see the same load, and prints the ratios.
"""
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'isic_samples' / 'ISBI2016_ISIC_Part1_Training_Data'


def machine() -> str:
    """CPU model, cores, the CPU's bfloat16 support and torch version, for the
    printed header."""
    import torch

    from mmskin.utils import cpu_bf16_flags
    model = platform.processor() or 'unknown CPU'
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    gpu = (f', GPU {torch.cuda.get_device_name(0)}' if torch.cuda.is_available() else '')
    bf16 = ' '.join(sorted(cpu_bf16_flags())) or 'none'
    return (f'{model}, {os.cpu_count()} cores, bfloat16 flags: {bf16}{gpu}; '
            f'Python {platform.python_version()}, torch {torch.__version__}, '
            f'{torch.get_num_threads()} torch threads')


def run_child(cmd: Sequence[str], env: Dict[str, str] = None) -> Tuple[float, float, float]:
    """Run a command to completion: (wall seconds, peak resident memory in GB,
    CPU seconds).

    Peak and CPU time are the child's own (``os.wait4``: the child and the
    processes it waited for), not those of every child this process has run.
    CPU time, unlike wall time, hardly moves when other jobs share the cores.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f'error: {" ".join(cmd)} failed:\n{stderr.decode(errors="replace")[-3000:]}')
    # ru_maxrss is in KiB on Linux
    return wall, usage.ru_maxrss * 1024 / 1e9, usage.ru_utime + usage.ru_stime


def python_env() -> Dict[str, str]:
    """The environment for child Pythons: this repository importable first."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    return env


def make_photos(out_dir: Path, count: int, width: int, height: int,
                source: Path = SAMPLES) -> List[Path]:
    """``count`` JPEGs of ``width`` x ``height``: real dermoscopy images from
    ``source`` upscaled (ISIC archive photos reach 6000 x 4500). Reused when
    already there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in source.iterdir() if p.suffix.lower() in ('.jpg', '.jpeg'))
    if not sources:
        sys.exit(f'error: {source}: no JPEG images to upscale')
    photos = []
    for i in range(count):
        path = out_dir / f'photo_{width}x{height}_{i}.jpg'
        if not path.is_file():
            image = cv2.imread(str(sources[i % len(sources)]), cv2.IMREAD_COLOR)
            if image is None:
                sys.exit(f'error: {sources[i % len(sources)]}: not a readable image')
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)
            tmp = path.with_suffix('.tmp.jpg')
            cv2.imwrite(str(tmp), image, (cv2.IMWRITE_JPEG_QUALITY, 90))
            os.replace(tmp, path)
        photos.append(path)
    return photos


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_table(header: Sequence[str], rows: Sequence[Sequence]) -> None:
    """A Markdown table, as docs/performance.md shows it."""
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    for row in rows:
        print('| ' + ' | '.join(str(cell) for cell in row) + ' |')


def fmt(value: float, digits: int = 2) -> str:
    return f'{value:.{digits}f}' if np.isfinite(value) else 'nan'


class StageTimer:
    """Accumulates wall and CPU time per stage by wrapping modules and
    functions. CPU time (of this process) hardly moves when other jobs share
    the cores; wall time does."""

    def __init__(self) -> None:
        self.totals: Dict[str, float] = defaultdict(float)
        self.cpu_totals: Dict[str, float] = defaultdict(float)
        self._restore: List[Callable] = []

    def wrap(self, owner, attr: str, stage: str) -> None:
        original = getattr(owner, attr)
        is_instance_attr = attr in getattr(owner, '__dict__', {})

        @wraps(original)
        def timed(*args, **kwargs):
            with self.time(stage):
                return original(*args, **kwargs)

        setattr(owner, attr, timed)
        self._restore.append(lambda: setattr(owner, attr, original) if is_instance_attr
                             else delattr(owner, attr))

    def time(self, stage: str):
        """A context manager adding its wall and CPU time to ``stage``."""
        timer = self

        class _Span:

            def __enter__(self):
                self.wall, self.cpu = time.perf_counter(), time.process_time()

            def __exit__(self, *exc):
                timer.totals[stage] += time.perf_counter() - self.wall
                timer.cpu_totals[stage] += time.process_time() - self.cpu

        return _Span()

    def restore(self) -> None:
        for undo in reversed(self._restore):
            undo()
        self._restore.clear()

    def clear(self) -> None:
        self.totals.clear()
        self.cpu_totals.clear()


def load_config(path: str, options: Optional[dict] = None):
    """A config with ``--cfg-options`` merged, mmdet's scope set and
    mmskin registered."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import mmskin  # noqa: F401  registers the model and its heads

    # the weight initialisation's report, one line per parameter, stays out
    MMLogger.get_instance('mmengine', log_level='WARNING')
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    return cfg


def build_training(cfg, state_dict: Optional[dict] = None, seed: int = 0):
    """The config's model (initialised with ``seed``, or given ``state_dict``)
    and optimizer wrapper, as mmengine's runner builds them."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper

    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if state_dict is not None:
        model.load_state_dict(state_dict)
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def train_loader(cfg, seed: int = 0):
    """The config's training loader, its images decoded in this process (no
    workers), so that stage times include them and runs are repeatable."""
    import copy

    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    ann_file = Path(loader_cfg.dataset.get('data_root', '')) / loader_cfg.dataset.ann_file
    if not ann_file.is_file():
        sys.exit(f'error: {ann_file}: no training annotations (tools/run_real_cpu.sh step 1 '
                 'writes them; or pass --cfg-options train_dataloader.dataset.ann_file=...)')
    return Runner.build_dataloader(loader_cfg, seed=seed)
