from . import transforms  # noqa: F401  registers the ISIC pipeline transforms
from .conversion import (ConversionError, convert_to_coco, find_archive_samples,
                         find_official_samples)
from .isic import ISIC_CLASSES, ISICDataset, tight_box
from .synthetic import generate_isic_layout

__all__ = [
    'ISIC_CLASSES', 'ISICDataset', 'tight_box', 'ConversionError', 'convert_to_coco',
    'find_archive_samples', 'find_official_samples', 'generate_isic_layout'
]
