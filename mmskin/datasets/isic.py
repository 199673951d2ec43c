"""The ISIC lesion dataset: the COCO-style dataset class."""
from contextlib import contextmanager
from typing import Iterator, List

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from mmskin.utils import ISIC_CLASSES, UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL, ISICFileError


@DATASETS.register_module()
class ISICDataset(CocoDataset):
    """ISIC dermoscopy images converted to COCO instance format.

    One lesion per image, labelled benign or malignant, or unknown
    (:data:`~mmskin.utils.UNKNOWN_CATEGORY_ID` in the file, label
    :data:`~mmskin.utils.UNKNOWN_LABEL` here; e.g. a split whose labels are
    private). Unknown lesions are kept: the segmentation metrics score them
    and the classification metrics count them as unlabelled. A training set
    (``test_mode=False``) with unknown lesions is an error, since the
    benign / malignant model cannot learn from them, unless
    ``allow_unknown_labels`` (the class-agnostic "Seg" ablation, whose
    pipeline sets every label to 0).

    Args:
        allow_unknown_labels: train on lesions with an unknown label.
        *args, **kwargs: those of mmdet's ``CocoDataset``.
    """

    METAINFO = {
        'classes': ISIC_CLASSES,
        'palette': [(0, 160, 0), (220, 20, 60)],
    }

    def __init__(self, *args, allow_unknown_labels: bool = False, **kwargs) -> None:
        self.allow_unknown_labels = allow_unknown_labels
        super().__init__(*args, **kwargs)

    @contextmanager
    def _unknown_is_a_category(self) -> Iterator[None]:
        """mmdet skips annotations of categories outside ``cat_ids``: let the
        unknown one in, as label ``UNKNOWN_LABEL``."""
        cat_ids = self.cat_ids
        self.cat_ids = [*cat_ids, UNKNOWN_CATEGORY_ID]
        self.cat2label.setdefault(UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL)
        try:
            yield
        finally:
            self.cat_ids = cat_ids

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """mmdet's parsing, with the unknown category read as ``UNKNOWN_LABEL``."""
        with self._unknown_is_a_category():
            return super().parse_data_info(raw_data_info)

    def filter_data(self) -> List[dict]:
        """mmdet's filter, keeping unknown lesions as lesions; then the training check."""
        with self._unknown_is_a_category():
            data_list = super().filter_data()
        if not self.test_mode and not self.allow_unknown_labels:
            unknown = [info['img_path'] for info in data_list
                       if any(i['bbox_label'] == UNKNOWN_LABEL for i in info['instances'])]
            if unknown:
                raise ISICFileError(
                    self.ann_file, f'{len(unknown)} training images have no benign / malignant '
                    f'label (e.g. {unknown[0]}); the benign / malignant model cannot learn from '
                    'them: convert with labels or leave them out, or train the class-agnostic '
                    'segmentation config (mask_rcnn_r101_fpn_focaljac_seg.py)')
        return data_list
