from .isic_metric import PER_IMAGE_COLUMNS, ISICClsMetric, ISICSegMetric, read_per_image

__all__ = ['ISICClsMetric', 'ISICSegMetric', 'PER_IMAGE_COLUMNS', 'read_per_image']
