"""A paper table with our runs beside the paper's numbers.

Each run is the ``--isic-out`` folder of ``tools/test.py`` of one of the
table's configs; its scores (and 95% intervals) come from its
``per_image.csv`` through :func:`~.run_summary.summarize_run`, with the
paper's positive class for classification. A row without a run shows the
paper's numbers only. The table is written as Markdown, LaTeX (booktabs)
or CSV (one line per row and metric).
"""
import csv
import io
import math
import os.path as osp
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from mmskin.evaluation.lesion_record import read_per_image
from mmskin.evaluation.statistics import N_RESAMPLES, Interval
from mmskin.utils import ISICFileError

from .paper_tables import PaperTable
from .run_summary import summarize_run

#: Formats of :func:`render_table`, with their file suffixes.
TABLE_FORMATS = {'markdown': '.md', 'latex': '.tex', 'csv': '.csv'}


@dataclass
class TableRow:
    """A paper row and, if a run reproduces it, our scores and intervals."""

    label: str
    config: str
    paper: Dict[str, Optional[float]]
    run_dir: Optional[str] = None
    n_images: Optional[int] = None
    ours: Optional[Dict[str, float]] = None
    intervals: Optional[Dict[str, Interval]] = None


def assign_runs(table: PaperTable, runs: Sequence[str]) -> Dict[str, str]:
    """``config -> run folder`` of the table's rows.

    A run is ``CONFIG=RUN_DIR``, or a ``RUN_DIR`` with a path component
    named after one of the table's configs (``work_dirs/<config>/isic_out``,
    the default work directory of ``tools/test.py``).

    Raises:
        ISICFileError: a run that matches no row, or two runs of one row.
    """
    assigned: Dict[str, str] = {}
    for run in runs:
        config, _, run_dir = run.rpartition('=')
        if config:
            row = table.row_of(config)
            if row is None:
                raise ISICFileError(run_dir, f'{config} is not a config of Table '
                                    f'{table.name}')
        else:
            row = next((table.row_of(part) for part in Path(run_dir).parts
                        if table.row_of(part)), None)
            if row is None:
                raise ISICFileError(run_dir, f'no config of Table {table.name} in its path; '
                                    'name it as CONFIG=RUN_DIR')
        if row.config in assigned:
            raise ISICFileError(run_dir, f'a second run of {row.config} (the first is '
                                f'{assigned[row.config]})')
        assigned[row.config] = run_dir
    return assigned


def reproduce_table(table: PaperTable, runs: Mapping[str, str],
                    n_resamples: int = N_RESAMPLES, seed: int = 0) -> List[TableRow]:
    """The table's rows with the scores of the runs (``config -> run folder``)."""
    rows = []
    for paper_row in table.rows:
        row = TableRow(paper_row.label, paper_row.config, table.reported(paper_row))
        run_dir = runs.get(paper_row.config)
        if run_dir is not None:
            per_image = read_per_image(osp.join(run_dir, 'per_image.csv'))
            summary = summarize_run(per_image, positive=table.positive,
                                    n_resamples=n_resamples, seed=seed)
            scores = summary.segmentation if table.task == 'segmentation' \
                else summary.classification
            row.run_dir, row.n_images = run_dir, summary.n_images
            row.ours = {name: scores[name] for name in table.columns if name in scores}
            row.intervals = summary.intervals[table.task]
        rows.append(row)
    return rows


def _number(value: Optional[float]) -> str:
    return '-' if value is None or math.isnan(value) else f'{value:.3f}'


def _ours(row: TableRow, metric: str, latex: bool = False) -> str:
    if row.ours is None or metric not in row.ours:
        return '-' if row.ours is not None else ''
    interval = (row.intervals or {}).get(metric)
    if interval is None or math.isnan(interval[0]):
        return _number(row.ours[metric])
    text = f'[{interval[0]:.3f}, {interval[1]:.3f}]'
    return (f'{_number(row.ours[metric])} ' +
            (f'{{\\scriptsize {text}}}' if latex else text))


def _markdown(table: PaperTable, rows: List[TableRow]) -> str:
    header = ['Row', 'Config'] + [f'{m} {who}' for m in table.columns for who in ('paper', 'ours')]
    lines = [f'Table {table.name}: {table.title}', '',
             '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        cells = [row.label, f'`{row.config}`']
        cells += [c for m in table.columns for c in (_number(row.paper[m]), _ours(row, m))]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def _latex(table: PaperTable, rows: List[TableRow]) -> str:
    columns = table.columns
    lines = [r'\begin{table}[t]', r'\centering',
             f'\\caption{{Table {table.name}: {table.title}; paper and ours (95\\% interval)}}',
             r'\begin{tabular}{l' + 'cc' * len(columns) + '}', r'\toprule',
             'Row & ' + ' & '.join(f'\\multicolumn{{2}}{{c}}{{{m}}}' for m in columns) + r' \\',
             ' & ' + ' & '.join(['paper & ours'] * len(columns)) + r' \\', r'\midrule']
    for row in rows:
        cells = [row.label.replace('&', r'\&')]
        cells += [c for m in columns for c in (_number(row.paper[m]), _ours(row, m, latex=True))]
        lines.append(' & '.join(cells) + r' \\')
    lines += [r'\bottomrule', r'\end{tabular}', r'\end{table}']
    return '\n'.join(lines) + '\n'


def _csv(table: PaperTable, rows: List[TableRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(('table', 'row', 'config', 'run_dir', 'n_images', 'metric', 'paper', 'ours',
                     'ours_lo', 'ours_hi'))
    for row in rows:
        for metric in table.columns:
            ours = (row.ours or {}).get(metric)
            lo, hi = (row.intervals or {}).get(metric, (None, None))
            writer.writerow((table.name, row.label, row.config, row.run_dir or '',
                             row.n_images or '', metric,
                             *('' if v is None else repr(float(v))
                               for v in (row.paper[metric], ours, lo, hi))))
    return buffer.getvalue()


def render_table(table: PaperTable, rows: List[TableRow], fmt: str) -> str:
    """The table as ``'markdown'``, ``'latex'`` or ``'csv'`` text."""
    renderers = dict(markdown=_markdown, latex=_latex, csv=_csv)
    if fmt not in renderers:
        raise ValueError(f'unknown table format {fmt!r}; expected one of {sorted(renderers)}')
    return renderers[fmt](table, rows)
