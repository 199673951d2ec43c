from . import metrics  # noqa: F401  registers ISICSegMetric, ISICClsMetric
from .combination import DEFAULT_LESION_CFG, LESION_MODES, check_lesion_cfg, combine_lesion
from .isic_files import ISICInputError

__all__ = [
    'DEFAULT_LESION_CFG', 'LESION_MODES', 'ISICInputError', 'check_lesion_cfg', 'combine_lesion'
]
