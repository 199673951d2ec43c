from . import transforms  # noqa: F401  registers the ISIC pipeline transforms
from .conversion import convert_to_coco, find_archive_samples, find_official_samples
from .isic import ISICDataset
from .synthetic import generate_isic_layout

__all__ = [
    'ISICDataset', 'convert_to_coco', 'find_archive_samples', 'find_official_samples',
    'generate_isic_layout'
]
