from . import metrics  # noqa: F401  registers the ISIC metrics and AtomicDumpDetResults
from .lesion_record import (ABCD_COLUMNS, LESION_COLUMNS, PER_IMAGE_COLUMNS, LesionRecord,
                            prediction_columns, read_lesion_csv, read_per_image)

__all__ = [
    'ABCD_COLUMNS', 'LESION_COLUMNS', 'PER_IMAGE_COLUMNS', 'LesionRecord', 'prediction_columns',
    'read_lesion_csv', 'read_per_image'
]
