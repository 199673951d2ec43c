from .lesion_bbox_head import SkinLesionBBoxHead

__all__ = ['SkinLesionBBoxHead']
