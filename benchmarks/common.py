"""What the benchmarks share: the machine, timed child processes, large photos.

Each benchmark runs ours and the reference in one invocation, alternating
A/B/A/B so that both see the same load, and prints the ratios.
"""
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / 'shared' / 'isic_samples' / 'ISBI2016_ISIC_Part1_Training_Data'


def machine() -> str:
    """CPU model, cores and torch version, for the printed header."""
    import torch
    model = platform.processor() or 'unknown CPU'
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    gpu = (f', GPU {torch.cuda.get_device_name(0)}' if torch.cuda.is_available() else '')
    return (f'{model}, {os.cpu_count()} cores{gpu}; Python {platform.python_version()}, '
            f'torch {torch.__version__}, {torch.get_num_threads()} torch threads')


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
