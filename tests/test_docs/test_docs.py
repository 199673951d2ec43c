"""The README and the pages of docs/: the paper's numbers shown in
docs/experiments.md are those of ``PAPER_TABLES`` (which make_tables.py prints
beside a run), every relative link points at a file and heading that exist, and
the README stays a page a newcomer reads in minutes."""
import re
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from mmskin.analysis.paper_tables import PAPER_TABLES

REPO = Path(__file__).resolve().parents[2]
README = REPO / 'README.md'
EXPERIMENTS = REPO / 'docs' / 'experiments.md'
PAGES = [README, *sorted((REPO / 'docs').glob('*.md'))]
README_MAX_LINES = 250

# Columns of a paper table in docs/experiments.md that describe the row, not a score.
_ROW_COLUMNS = ('Row', 'Config', 'Initialization', 'Backbone', 'Batch')
Scores = Dict[str, Optional[float]]
_LINK = re.compile(r'\]\(([^)\s]+)\)|<img [^>]*src="([^"]+)"')


def _table_cells(line: str):
    return [cell.strip() for cell in line.strip().strip('|').split('|')]


def _experiment_tables(text: str) -> Dict[Tuple[str, str], Tuple[str, Scores]]:
    """{(table, config): (row label, {metric: value, None for a dash})} of every
    table with a ``Config`` column. A header cell ``III: AC`` starts the columns
    of Table III; a table without such prefixes belongs to the ``Table V:`` line
    above it. The label is the ``Row`` cell, or the cells that describe the row
    joined by commas (``COCO, ResNet50, 1 x 2``)."""
    found, table_name, header = {}, None, None
    for line in text.splitlines():
        named = re.match(r'Table (\w+):', line)
        if named:
            table_name = named[1]
        if not line.startswith('|'):
            header = None
            continue
        cells = _table_cells(line)
        if header is None:
            header = cells
            continue
        if 'Config' not in header or set(''.join(cells)) <= set('-: '):
            continue
        row = dict(zip(header, cells))
        config, current = row['Config'].strip('`'), table_name
        label = row.get('Row') or ', '.join(
            row[column] for column in _ROW_COLUMNS if column in row and column != 'Config')
        for column, cell in zip(header, cells):
            prefixed = re.match(r'(\w+): (\w+)$', column)
            if prefixed:
                current, column = prefixed[1], prefixed[2]
            elif column in _ROW_COLUMNS:
                continue
            scores = found.setdefault((current, config), (label, {}))[1]
            scores[column] = None if cell == '-' else float(cell)
    return found


def test_experiments_page_shows_the_paper_tables_of_the_package():
    shown = _experiment_tables(EXPERIMENTS.read_text())
    package = {(table.name, row.config): (row.label, table.reported(row))
               for table in PAPER_TABLES.values() for row in table.rows}
    assert set(shown) == set(package)
    for key, row in package.items():
        assert shown[key] == row, key
    assert {name for name, _ in shown} == {'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'}


def test_the_table_parser_reads_prefixed_and_named_tables():
    text = ('| Row | Config | III: AC | AUC | VI: JA |\n|---|---|---|---|---|\n'
            '| a | `x.py` | 0.5 | - | 0.7 |\n\nTable V: test set.\n\n'
            '| Row | Config | AC |\n|---|---|---|\n| b | `y.py` | 0.25 |\n')
    assert _experiment_tables(text) == {('III', 'x.py'): ('a', {'AC': 0.5, 'AUC': None}),
                                        ('VI', 'x.py'): ('a', {'JA': 0.7}),
                                        ('V', 'y.py'): ('b', {'AC': 0.25})}


def _slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def _anchors(page: Path):
    fenced, anchors = False, set()
    for line in page.read_text().splitlines():
        if line.startswith('```'):
            fenced = not fenced
        elif not fenced and line.startswith('#'):
            anchors.add(_slug(line.lstrip('#')))
    return anchors


def test_slug_is_githubs():
    assert _slug("The paper's tables from your runs") == 'the-papers-tables-from-your-runs'
    assert _slug('Checkpoints under torch >= 2.6') == 'checkpoints-under-torch--26'


@pytest.mark.parametrize('page', PAGES, ids=lambda page: page.name)
def test_relative_links_point_at_existing_files_and_headings(page):
    broken = []
    for match in _LINK.finditer(page.read_text()):
        link = match[1] or match[2]
        if re.match(r'[a-z]+://', link):
            continue
        path, _, anchor = link.partition('#')
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(link)
        elif anchor and (linked.suffix != '.md' or anchor not in _anchors(linked)):
            broken.append(link)
    assert not broken, f'{page.relative_to(REPO)}: broken links {broken}'


def test_readme_is_short():
    assert len(README.read_text().splitlines()) <= README_MAX_LINES
