"""Pipeline transforms for the paper's data preparation (II-A).

Resizing, padding, flipping and packing are mmdet's; these add what mmdet
lacks: a mask-aware affine, a continuous brightness factor, Gaussian blur and
the box recomputed from the mask, class-agnostic labels for the
segmentation-only ablation, and Shades of Gray colour constancy.
"""
from .color_constancy import ShadesOfGray  # registers it
from .geometric import BoxFromMask, RandomAffineWithMasks  # registers them
from .labels import ClassAgnosticLabels  # registers it
from .photometric import GaussianBlur, UniformBrightness  # registers them

__all__ = [
    'BoxFromMask', 'ClassAgnosticLabels', 'GaussianBlur', 'RandomAffineWithMasks', 'ShadesOfGray',
    'UniformBrightness'
]
