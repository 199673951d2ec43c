"""Packaging; the metadata is in setup.cfg.

The configs, the train / test / inference tools and the (empty) model index
travel inside the package under ``mmskin/.mim``, the layout mmengine reads
``'mmskin::'`` config bases from: copied into a wheel (``pip install .``),
linked for an editable install (``pip install -e .``) so that edits show at
once.
"""
import os
import shutil
import sys
from pathlib import Path

from setuptools import setup

REPO = Path(__file__).resolve().parent
MIM_DIR = REPO / 'mmskin' / '.mim'
SHIPPED = ('configs', 'tools', 'model-index.yml')


def add_mim_extension() -> None:
    """Copy or link the SHIPPED files into mmskin/.mim for the build at hand."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        link = True
    elif {'bdist_wheel', 'sdist', 'build_py'} & set(sys.argv):
        link = False
    else:  # metadata only (egg_info, dist_info): nothing is packaged
        return
    MIM_DIR.mkdir(exist_ok=True)
    for name in SHIPPED:
        source, target = REPO / name, MIM_DIR / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        if link:
            target.symlink_to(os.path.relpath(source, MIM_DIR))
        elif source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(source, target)


add_mim_extension()
setup()
