from . import metrics  # noqa: F401  registers the ISIC metrics and AtomicDumpDetResults
from .lesion_record import (LESION_COLUMNS, PER_IMAGE_COLUMNS, LesionRecord, read_lesion_csv,
                            read_per_image)

__all__ = [
    'LESION_COLUMNS', 'PER_IMAGE_COLUMNS', 'LesionRecord', 'read_lesion_csv', 'read_per_image'
]
