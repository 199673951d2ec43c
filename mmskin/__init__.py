"""mmskin: the multi-task skin lesion framework of Song et al. (IEEE JBHI 2020)
as an MMDetection 3.x extension.

Importing the package registers every dataset, transform, model, hook and
metric into MMDetection's registries (configs load it through
``custom_imports``).
"""
from . import datasets  # noqa: F401  registers ISICDataset and transforms
from . import engine  # noqa: F401  registers hooks, schedulers and LesionRunner
from . import evaluation  # noqa: F401  registers ISIC metrics
from . import models  # noqa: F401  registers losses, heads, detector
from .version import __version__

__all__ = ['__version__']
