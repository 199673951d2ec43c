"""The paper's numbers are written twice, in the package (for the tables of
tools/analysis/make_tables.py) and in the README: they must agree."""
import re
from pathlib import Path

from mmskin.analysis.paper_tables import PAPER_TABLES

README = Path(__file__).resolve().parents[2] / 'README.md'
CONFIGS = README.parent / 'configs' / 'isic'


def _readme_tables():
    """{(table, config): {metric: value or None}} of the README's
    "Experiments of the paper" section."""
    text = README.read_text().split('## Experiments of the paper', 1)[1].split('\n## ', 1)[0]
    found, table_name, header = {}, None, None
    for line in text.splitlines():
        named = re.match(r'Table (\w+):', line)
        if named:
            table_name = named[1]
        if not line.startswith('|'):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip('|').split('|')]
        if header is None:
            header = cells
            continue
        if set(''.join(cells)) <= set('-: '):
            continue
        current = table_name
        row = dict(zip(header, cells))
        config = row['Config'].strip('`')
        for column, cell in zip(header, cells):
            prefixed = re.match(r'(\w+): (\w+)', column)
            if prefixed:
                current, column = prefixed[1], prefixed[2]
            elif column in ('Row', 'Config', 'Initialization', 'Backbone', 'Batch'):
                continue
            value = None if cell == '-' else float(cell)
            found.setdefault((current, config), {})[column] = value
    return found


def test_readme_and_package_hold_the_same_numbers():
    readme = _readme_tables()
    package = {(table.name, row.config): table.reported(row)
               for table in PAPER_TABLES.values() for row in table.rows}
    assert set(readme) == set(package)
    for key, scores in package.items():
        assert readme[key] == scores, key
    assert {name for name, _ in readme} == {'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'}


def test_every_row_is_a_config():
    for table in PAPER_TABLES.values():
        for row in table.rows:
            assert (CONFIGS / row.config).is_file(), row.config
            assert table.row_of(row.config[:-3]) is row
