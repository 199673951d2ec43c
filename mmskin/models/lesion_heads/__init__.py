from .lesion_combination_head import LesionCombinationHead  # registers it

__all__ = ['LesionCombinationHead']
