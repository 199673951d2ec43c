from .dump_results import AtomicDumpDetResults
from .isic_metric import ISICClsMetric, ISICSegMetric

__all__ = ['AtomicDumpDetResults', 'ISICClsMetric', 'ISICSegMetric']
