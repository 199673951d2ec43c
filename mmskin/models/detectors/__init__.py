from .skin_lesion_mask_rcnn import SkinLesionMaskRCNN, instances_to_original

__all__ = ['SkinLesionMaskRCNN', 'instances_to_original']
