"""mmskin's train, test and inference tools from an installed package.

    python -m mmskin {train,test,infer} ARGS...
    mmskin-train ARGS...   mmskin-test ARGS...   mmskin-infer ARGS...

The tools are the repository's ``tools/train.py``, ``tools/test.py`` and
``tools/infer.py``, shipped inside the package under ``.mim/tools`` beside
the configs (``.mim/configs``), as MMDetection ships its own for ``mim``. A
project of its own can then inherit ``'mmskin::isic/...'`` configs and run
them without a copy of the repository (docs/configs.md).
"""
import runpy
import sys
from pathlib import Path
from typing import List, Optional

TOOLS = ('train', 'test', 'infer')
TOOLS_DIR = Path(__file__).resolve().parent / '.mim' / 'tools'


def run_tool(name: str, argv: List[str]) -> None:
    """Run ``tools/<name>.py`` of the installed package with ``argv``."""
    path = TOOLS_DIR / f'{name}.py'
    if not path.is_file():
        sys.exit(f'{path}: not found; mmskin was installed without its tools '
                 '(install it with pip from the repository, or run tools/'
                 f'{name}.py there)')
    sys.argv = [str(path), *argv]
    runpy.run_path(str(path), run_name='__main__')


def main(argv: Optional[List[str]] = None) -> None:
    """``python -m mmskin TOOL ARGS...``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in TOOLS:
        sys.exit(f'usage: python -m mmskin {{{",".join(TOOLS)}}} ARGS... '
                 f'(got {" ".join(argv) or "no tool"})')
    run_tool(argv[0], argv[1:])


def train() -> None:
    """The ``mmskin-train`` console script."""
    run_tool('train', sys.argv[1:])


def test() -> None:
    """The ``mmskin-test`` console script."""
    run_tool('test', sys.argv[1:])


def infer() -> None:
    """The ``mmskin-infer`` console script."""
    run_tool('infer', sys.argv[1:])


if __name__ == '__main__':
    main()
