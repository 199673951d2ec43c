"""The ISIC lesion dataset: class names and the COCO-style dataset class."""
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from mmskin.utils import ISIC_CLASSES


@DATASETS.register_module()
class ISICDataset(CocoDataset):
    """ISIC dermoscopy images converted to COCO instance format.

    One lesion per image, labelled benign or malignant.
    """

    METAINFO = {
        'classes': ISIC_CLASSES,
        'palette': [(0, 160, 0), (220, 20, 60)],
    }
