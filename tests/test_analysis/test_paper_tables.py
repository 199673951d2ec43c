"""The paper's tables name configs that exist, and each row is found by its
config's name (tests/test_docs/test_docs.py checks docs/experiments.md shows
the same numbers)."""
from pathlib import Path

from mmskin.analysis.paper_tables import PAPER_TABLES

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'isic'


def test_every_row_is_a_config():
    for table in PAPER_TABLES.values():
        for row in table.rows:
            assert (CONFIGS / row.config).is_file(), row.config
            assert table.row_of(row.config[:-3]) is row
