"""Training curves of a run from its own scalar log.

mmengine's ``LocalVisBackend`` writes one JSON object per line to
``WORK_DIR/<timestamp>/vis_data/scalars.json``: a training line every
``LoggerHook.interval`` iterations (``iter``, ``lr``, each loss term
``loss*``, ...) and a validation line after each validation (the metrics,
``isic_seg/JA``, ..., at ``step``). Beside it, ``vis_data/config.py`` is the
run's config, from which the three training phases
(``ThreePhaseTrainingHook``) and the learning-rate milestones
(``MultiStepLR``, ``RelativeMultiStepLR``) are read, resolved against the
run's length as the hook and the scheduler resolve them, and marked on every
panel. A resumed run writes a
second timestamp folder; the logs are read oldest first, later lines
replacing earlier ones at the same iteration.
"""
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
from matplotlib.figure import Figure
from mmengine.config import Config

from mmskin.engine import fraction_milestones, phase_begins
from mmskin.utils import read_text

#: Keys of a training line that are not curves.
_NOT_CURVES = ('iter', 'step', 'epoch', 'time', 'data_time', 'memory')


class TrainingLogError(ValueError):
    """A work directory without a usable scalar log; the message names it."""


@dataclass
class TrainingLog:
    """Curves of a run: name -> (iterations, values), and its schedule marks."""

    losses: Dict[str, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    learning_rate: Tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
    validation: Dict[str, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    phase_begins: List[int] = field(default_factory=list)
    lr_milestones: List[int] = field(default_factory=list)
    max_iters: int = 0


def _scalar_logs(work_dir: Path) -> List[Path]:
    if not work_dir.is_dir():
        raise TrainingLogError(f'{work_dir}: work directory does not exist')
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not logs:
        raise TrainingLogError(f'{work_dir}: no <timestamp>/vis_data/scalars.json; is it the '
                               'work directory of a training run?')
    return logs


def _read_lines(path: Path) -> List[dict]:
    entries = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise TrainingLogError(f'{path}, line {number}: not JSON ({error.msg})') from None
        if not isinstance(entry, dict):
            raise TrainingLogError(f'{path}, line {number}: not a JSON object')
        entries.append(entry)
    return entries


def schedule_marks(cfg: Config) -> Tuple[List[int], List[int]]:
    """First iterations of the training phases and the lr milestones of a config."""
    max_iters = int(cfg.get('train_cfg', {}).get('max_iters', 0) or 0)
    phases = [hook.get('phases', []) for hook in cfg.get('custom_hooks', [])
              if hook.get('type') == 'ThreePhaseTrainingHook']
    begins = sorted(phase_begins(phases[0], max_iters)) if phases else []
    milestones = []
    for scheduler in cfg.get('param_scheduler', None) or []:
        if scheduler.get('by_epoch', True):
            continue
        steps = scheduler.get('milestones', [])
        begin = int(scheduler.get('begin', 0))
        if scheduler.get('type') == 'RelativeMultiStepLR':
            steps = fraction_milestones(steps, begin, int(scheduler.get('end', max_iters)))
        if scheduler.get('type') in ('MultiStepLR', 'RelativeMultiStepLR'):
            milestones += [begin + int(m) for m in steps]
    return begins, sorted(milestones)


def read_training_log(work_dir: str) -> TrainingLog:
    """Losses, learning rate and validation metrics per iteration of a run.

    A validation line is placed at its ``step``; when that is an epoch
    count (``LoggerHook(log_metric_by_epoch=True)``, always 0 in an
    iteration-based loop), at the last training iteration logged before it.
    """
    work_dir = Path(work_dir)
    train: Dict[int, dict] = {}
    val: Dict[int, dict] = {}
    config = None
    for path in _scalar_logs(work_dir):
        last_iter = 0
        entries = _read_lines(path)
        for entry in entries:
            if 'iter' in entry:
                last_iter = int(entry['iter'])
                train[last_iter] = entry
            elif any('/' in key for key in entry):
                step = int(entry.get('step', 0))
                val[step if step >= last_iter else last_iter] = entry
        if any('iter' in entry for entry in entries) and (path.parent / 'config.py').is_file():
            config = path.parent / 'config.py'
    if not train:
        raise TrainingLogError(f'{work_dir}: its scalars.json files hold no training iteration')
    log = TrainingLog()

    def curves(entries: Dict[int, dict], keys) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        out = {}
        for key in keys:
            points = [(i, float(e[key])) for i, e in sorted(entries.items())
                      if isinstance(e.get(key), (int, float)) and math.isfinite(e[key])]
            if points:
                out[key] = tuple(np.array(column) for column in zip(*points))
        return out

    train_keys = sorted({k for e in train.values() for k in e}, key=lambda k: (k != 'loss', k))
    log.losses = curves(train, [k for k in train_keys if k.startswith('loss')])
    log.learning_rate = curves(train, ['lr']).get('lr', log.learning_rate)
    log.validation = curves(val, sorted({k for e in val.values() for k in e if '/' in k}))
    if config is not None:
        cfg = Config.fromfile(str(config))
        log.phase_begins, log.lr_milestones = schedule_marks(cfg)
        log.max_iters = int(cfg.get('train_cfg', {}).get('max_iters', 0) or 0)
    return log


def _mark_schedule(ax, log: TrainingLog, last: int, label: bool) -> None:
    """Phase boundaries dashed (named on the first panel), lr steps dotted,
    those up to iteration ``last``."""
    for number, begin in enumerate(log.phase_begins, start=1):
        if begin > last:
            continue
        if begin > 0:
            ax.axvline(begin, c='tab:purple', ls='--', lw=1,
                       label='phase boundary' if label and number == 2 else None)
        if label:
            ax.annotate(f'phase {number}', (begin, 1), xycoords=('data', 'axes fraction'),
                        xytext=(3, -12), textcoords='offset points', color='tab:purple',
                        fontsize=8)
    shown = [m for m in log.lr_milestones if m <= last]
    for number, milestone in enumerate(shown):
        ax.axvline(milestone, c='tab:orange', ls=':', lw=1.5,
                   label='lr step' if label and number == 0 else None)


def training_figure(log: TrainingLog) -> Figure:
    """One panel per loss term, one for the learning rate and one per
    validation metric, against the iteration, with the phase boundaries
    (dashed) and the learning-rate steps (dotted) marked."""
    panels = [('loss', name, curve) for name, curve in log.losses.items()]
    panels.append(('lr', 'learning rate', log.learning_rate))
    panels += [('val', name, curve) for name, curve in log.validation.items()]
    columns = 3
    rows = math.ceil(len(panels) / columns)
    fig = Figure(figsize=(5 * columns, 3.2 * rows), layout='constrained')
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    last = max([log.max_iters] + [int(c[0].max()) for _, _, c in panels if c[0].size])
    for index, (ax, (kind, name, (iters, values))) in enumerate(zip(axes, panels)):
        ax.plot(iters, values, 'o-' if kind == 'val' else '-', ms=3, lw=1,
                c='tab:green' if kind == 'val' else 'tab:blue')
        if kind == 'lr':
            ax.set_yscale('log')
        ax.set_title(name if kind != 'val' else f'validation {name}', fontsize=10)
        _mark_schedule(ax, log, last, label=index == 0)
        ax.set(xlabel='iteration', xlim=(0, last))
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc='outside upper center', ncols=len(handles))
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig
