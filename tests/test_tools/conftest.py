"""Fixtures for the tests of the command-line tools."""
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='session')
def load_tool():
    """``load_tool('tools/x/y.py')``: the tool as a module, to call its ``main``."""

    def load(relative_path: str):
        path = REPO / relative_path
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
