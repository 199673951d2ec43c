from .isic_metric import PER_IMAGE_COLUMNS, ISICClsMetric, ISICSegMetric

__all__ = ['ISICClsMetric', 'ISICSegMetric', 'PER_IMAGE_COLUMNS']
