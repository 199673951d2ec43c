from .lesion_bbox_head import SkinLesionBBoxHead
from .lesion_roi_extractor import LesionRoIExtractor
from .sparse_roi_align import SparseRoIAlign

__all__ = ['LesionRoIExtractor', 'SkinLesionBBoxHead', 'SparseRoIAlign']
