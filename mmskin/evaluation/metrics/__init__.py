from .dump_results import AtomicDumpDetResults
from .isic_metric import ISICClsMetric, ISICSegMetric
from .operating_point_metric import OperatingPointMetric

__all__ = ['AtomicDumpDetResults', 'ISICClsMetric', 'ISICSegMetric', 'OperatingPointMetric']
