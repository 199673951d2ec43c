"""The ISIC lesion dataset: the COCO-style dataset class."""
import logging
import os.path as osp
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

import cv2
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from mmskin.utils import (ISIC_CLASSES, STORED_ORIENTATION, UNKNOWN_LABEL, ISICFileError,
                          read_image_size, read_lesion_coco)


class _CheckedImageLoading:
    """Wraps the pipeline's image loading step: a file that does not decode,
    or decodes to another size than its annotation says, is an
    :class:`ISICFileError` naming it (rather than an ``AssertionError`` from
    the loader, or a mask silently laid over another image)."""

    def __init__(self, load: Any, ann_file: str) -> None:
        self.load = load
        self.ann_file = ann_file

    def __call__(self, results: dict) -> Optional[dict]:
        path = results.get('img_path', '<image>')
        try:
            loaded = self.load(results)
        except (AssertionError, OSError, ValueError, cv2.error) as err:
            if osp.isfile(path) and osp.getsize(path) == 0:
                raise ISICFileError(path, 'cannot be decoded: the file is empty') from None
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise ISICFileError(path, f'cannot be decoded ({reason})') from None
        if loaded is None:
            raise ISICFileError(path, 'cannot be decoded')
        height, width = loaded['img'].shape[:2]
        expected = (results.get('height'), results.get('width'))
        if None not in expected and (height, width) != expected:
            raise ISICFileError(path, f'image is {width}x{height} (WxH) but {self.ann_file} '
                                f'says {expected[1]}x{expected[0]}: it was replaced or resized '
                                'after conversion; convert the data again')
        return loaded

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.load!r})'


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

    The files are checked when the dataset is built: the annotation file
    must be a consistent lesion COCO file, whose categories are classes by
    their name (:func:`mmskin.utils.read_lesion_coco`: never by their order
    in the file) and whose every image has its lesion; every image it names
    must exist,
    decode to the end and have the size the annotation gives (a photo
    replaced or resized after conversion would otherwise be trained and
    scored against a mask of another picture). The first problem is an
    :class:`~mmskin.utils.ISICFileError` naming the file. While the data are
    read, the decoded image is checked against its annotation again. Images
    are read as stored (:func:`mmskin.utils.read_image`): a loading step
    whose ``color_type`` would apply the EXIF orientation
    (:data:`~mmskin.utils.STORED_ORIENTATION`) reads them with the flag that
    does not, so that masks stay on their images.

    Args:
        allow_unknown_labels: train on lesions with an unknown label.
        check_images: decode every image when the dataset is built (a JPEG
            is decoded at 1/8 scale: every byte is still read).
        skip_bad_images: log, count (``num_skipped``) and leave out images
            that fail these checks instead of stopping; in training only.
        *args, **kwargs: those of :class:`mmdet.datasets.CocoDataset`.
    """

    METAINFO = {
        'classes': ISIC_CLASSES,
        'palette': [(0, 160, 0), (220, 20, 60)],
    }

    def __init__(self, *args, allow_unknown_labels: bool = False, check_images: bool = True,
                 skip_bad_images: bool = False, **kwargs) -> None:
        self.allow_unknown_labels = allow_unknown_labels
        self.check_images = check_images
        self.skip_bad_images = skip_bad_images
        self.num_skipped = 0
        self.category_labels = {}
        super().__init__(*args, **kwargs)
        for step in self.pipeline.transforms:
            if isinstance(step, LoadImageFromFile):
                step.color_type = STORED_ORIENTATION.get(step.color_type, step.color_type)
        self.pipeline.transforms = [
            _CheckedImageLoading(step, self.ann_file) if isinstance(step, LoadImageFromFile)
            else step for step in self.pipeline.transforms
        ]

    @contextmanager
    def _categories_by_name(self) -> Iterator[None]:
        """mmdet maps the categories to labels by their order in the file and
        skips annotations of categories outside ``cat_ids``: map them by name
        (``category_labels``), the unknown one to ``UNKNOWN_LABEL``."""
        cat_ids, cat2label = self.cat_ids, self.cat2label
        self.cat_ids, self.cat2label = list(self.category_labels), dict(self.category_labels)
        try:
            yield
        finally:
            self.cat_ids, self.cat2label = cat_ids, cat2label

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """mmdet's parsing, with the categories read by name."""
        with self._categories_by_name():
            return super().parse_data_info(raw_data_info)

    def filter_data(self) -> List[dict]:
        """mmdet's filter, keeping unknown lesions as lesions; then the training check."""
        with self._categories_by_name():
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

    def load_data_list(self) -> List[dict]:
        """The images of the annotation file, each checked (see the class)."""
        self.category_labels = read_lesion_coco(self.ann_file).category_labels
        data_list = super().load_data_list()
        for data_info in data_list:
            if not data_info['instances']:  # mmdet leaves out empty and outside boxes
                raise ISICFileError(self.ann_file, f'image {data_info["img_id"]} '
                                    f'({data_info["img_path"]}): its lesion annotation has an '
                                    'empty box or lies outside the image; convert the data again')
        if not self.check_images:
            return data_list
        checked = []
        for data_info in data_list:
            try:
                self._check_image(data_info)
            except ISICFileError as err:
                self._skip_or_raise(err)
                continue
            checked.append(data_info)
        if not checked:
            raise ISICFileError(self.ann_file, f'none of its {len(data_list)} images is usable')
        return checked

    def _check_image(self, data_info: dict) -> None:
        path = data_info['img_path']
        if not osp.isfile(path):
            raise ISICFileError(path, f'image not found (named by {self.ann_file}; check '
                                'data_root and data_prefix in the config)')
        width, height = read_image_size(path)
        if (height, width) != (data_info['height'], data_info['width']):
            raise ISICFileError(path, f'image is {width}x{height} (WxH) but {self.ann_file} '
                                f'says {data_info["width"]}x{data_info["height"]}: it was '
                                'replaced or resized after conversion; convert the data again')

    def _skip_or_raise(self, err: ISICFileError) -> None:
        if not (self.skip_bad_images and not self.test_mode):
            raise err
        self.num_skipped += 1
        print_log(f'skipped {err} ({self.num_skipped} skipped)', logger='current',
                  level=logging.WARNING)

    def prepare_data(self, idx: int) -> Any:
        """The pipeline's output, or None for a bad image with
        ``skip_bad_images`` (mmengine then draws another image)."""
        try:
            return super().prepare_data(idx)
        except ISICFileError as err:
            self._skip_or_raise(err)
            return None
