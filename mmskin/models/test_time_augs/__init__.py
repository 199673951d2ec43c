from .lesion_tta import LesionTTAModel, unflip_lesion  # registers LesionTTAModel

__all__ = ['LesionTTAModel', 'unflip_lesion']
