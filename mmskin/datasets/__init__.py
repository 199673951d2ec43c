from . import transforms  # noqa: F401  registers the ISIC pipeline transforms
from .isic import ISIC_CLASSES, ISICDataset, tight_box

__all__ = ['ISIC_CLASSES', 'ISICDataset', 'tight_box']
