from .isic_metric import ISICClsMetric, ISICSegMetric

__all__ = ['ISICClsMetric', 'ISICSegMetric']
