"""Geometric augmentation that moves the lesion mask with the image, and the
box recomputed from the mask (paper II-A-3, III-A)."""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import RandomAffine
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes, autocast_box_type
from mmdet.structures.mask import BitmapMasks

from mmskin.utils import tight_box


def _boxes_from_masks(results: dict) -> None:
    """Set ``gt_bboxes`` to the tight box of each mask and drop the instances
    whose mask is empty, with their labels and ignore flags."""
    masks = results['gt_masks'].to_ndarray()
    keep = masks.reshape(len(masks), -1).any(axis=1)
    boxes = np.stack([tight_box(m) for m in masks[keep]]) if keep.any() \
        else np.zeros((0, 4), dtype=np.float32)
    results['gt_bboxes'] = HorizontalBoxes(boxes)
    results['gt_masks'] = results['gt_masks'][keep]
    for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
        if key in results:
            results[key] = results[key][keep]


@TRANSFORMS.register_module()
class BoxFromMask(BaseTransform):
    """Recompute every ground-truth box as the tight box of its mask.

    The paper's detection label is "a minimum rectangle box to cover the whole
    mask" (III-A). Resizing, padding and augmentation move boxes and masks
    separately (a rotated box only bounds the rotated lesion), so the box is
    derived again from the transformed mask with
    :func:`mmskin.utils.tight_box`. Instances whose mask became empty
    (the lesion left the canvas) are dropped with their labels and ignore
    flags.

    Required Keys:

    - gt_masks (BitmapMasks | PolygonMasks)
    - gt_bboxes_labels (np.int64) (optional)
    - gt_ignore_flags (bool) (optional)

    Modified Keys:

    - gt_bboxes (HorizontalBoxes, or np.ndarray when it came as one)
    - gt_masks
    - gt_bboxes_labels (optional)
    - gt_ignore_flags (optional)
    """

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        if 'gt_masks' not in results:
            raise KeyError(
                f"BoxFromMask needs 'gt_masks' in the results of "
                f"{results.get('img_path', 'the image')}; load the masks "
                "with LoadAnnotations(with_mask=True) before it.")
        _boxes_from_masks(results)
        return results


@TRANSFORMS.register_module()
class RandomAffineWithMasks(RandomAffine):
    """mmdet's :class:`RandomAffine` that also transforms instance masks.

    mmdet's ``RandomAffine`` rotates, scales and shears about the image's
    top-left corner and raises ``NotImplementedError`` for masks. This one
    composes the same rotation, scaling, shear and translation about the image
    centre, warps the image bilinearly and the masks with nearest-neighbour
    interpolation (so they stay binary), fills the uncovered border with zeros
    (the value of the padding in II-A-1) and, when masks are present, sets
    every box to the tight box of its warped mask (instances whose mask left
    the image are dropped). Without masks, boxes are projected, clipped and
    filtered as in mmdet.

    The paper (II-A-3) names "the affine transformation" without ranges; the
    defaults are our choice. Dermoscopy images have no canonical orientation,
    hence any rotation; the other ranges are small so the lesion stays in
    view and keeps its apparent size.

    Required Keys:

    - img
    - gt_bboxes (BaseBoxes[torch.float32]) (optional)
    - gt_bboxes_labels (np.int64) (optional)
    - gt_ignore_flags (bool) (optional)
    - gt_masks (BitmapMasks | PolygonMasks) (optional)

    Modified Keys:

    - img
    - img_shape
    - gt_bboxes (optional)
    - gt_bboxes_labels (optional)
    - gt_ignore_flags (optional)
    - gt_masks (optional, returned as BitmapMasks)

    Args:
        max_rotate_degree: rotation angle drawn from U(-max, max) degrees.
            Defaults to 180.
        max_translate_ratio: shift drawn from U(-max, max) times the image
            width (height) along x (y). Defaults to 0.05.
        scaling_ratio_range: isotropic scale drawn uniformly from this range.
            Defaults to (0.9, 1.1).
        max_shear_degree: shear angles along x and y, each drawn from
            U(-max, max) degrees. Defaults to 5.
        border_val: BGR fill value of uncovered pixels. Defaults to zeros.
        bbox_clip_border: clip projected boxes to the image (boxes without
            masks only). Defaults to True.
    """

    def __init__(self,
                 max_rotate_degree: float = 180.0,
                 max_translate_ratio: float = 0.05,
                 scaling_ratio_range: Tuple[float, float] = (0.9, 1.1),
                 max_shear_degree: float = 5.0,
                 border_val: Tuple[int, int, int] = (0, 0, 0),
                 bbox_clip_border: bool = True) -> None:
        super().__init__(
            max_rotate_degree=max_rotate_degree,
            max_translate_ratio=max_translate_ratio,
            scaling_ratio_range=scaling_ratio_range,
            max_shear_degree=max_shear_degree,
            border_val=border_val,
            bbox_clip_border=bbox_clip_border)

    @cache_randomness
    def _get_random_homography_matrix(self, height: int,
                                      width: int) -> np.ndarray:
        """A random affine matrix acting about the image centre.

        Drawn with ``np.random`` (as ``RandomChoice`` and mmdet's colour
        transforms are), so one numpy seed fixes the whole pipeline.
        """
        rotation = self._get_rotation_matrix(
            np.random.uniform(-self.max_rotate_degree, self.max_rotate_degree))
        scaling = self._get_scaling_matrix(
            np.random.uniform(*self.scaling_ratio_range))
        shear = self._get_shear_matrix(
            np.random.uniform(-self.max_shear_degree, self.max_shear_degree),
            np.random.uniform(-self.max_shear_degree, self.max_shear_degree))
        shift = np.random.uniform(-self.max_translate_ratio,
                                  self.max_translate_ratio, size=2)
        # Pixel centres sit on integer coordinates in cv2, so the centre of
        # the pixel grid is ((w - 1) / 2, (h - 1) / 2): a 180 degree turn then
        # maps the grid onto itself.
        cx, cy = (width - 1) / 2, (height - 1) / 2
        to_origin = self._get_translation_matrix(-cx, -cy)
        back = self._get_translation_matrix(cx + shift[0] * width,
                                            cy + shift[1] * height)
        return back @ shear @ rotation @ scaling @ to_origin

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        warp_matrix = self._get_random_homography_matrix(height, width)
        results['img'] = cv2.warpPerspective(
            img, warp_matrix, dsize=(width, height), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT, borderValue=self.border_val)
        results['img_shape'] = (height, width)

        if 'gt_masks' in results:
            masks = results['gt_masks'].to_ndarray()
            warped = [
                cv2.warpPerspective(
                    mask, warp_matrix, dsize=(width, height),
                    flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0) for mask in masks
            ]
            results['gt_masks'] = BitmapMasks(
                np.stack(warped) if warped else
                np.zeros((0, height, width), dtype=np.uint8), height, width)
            _boxes_from_masks(results)
        elif 'gt_bboxes' in results:
            self._project_boxes(results, warp_matrix)
        return results

    def _project_boxes(self, results: dict, warp_matrix: np.ndarray) -> None:
        """Boxes without masks: project, clip and drop those left outside,
        as mmdet's ``RandomAffine`` does."""
        height, width = results['img_shape']
        bboxes = results['gt_bboxes']
        bboxes.project_(warp_matrix)
        if self.bbox_clip_border:
            bboxes.clip_([height, width])
        keep = bboxes.is_inside([height, width]).numpy()
        results['gt_bboxes'] = bboxes[keep]
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if key in results:
                results[key] = results[key][keep]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'max_rotate_degree={self.max_rotate_degree}, '
                f'max_translate_ratio={self.max_translate_ratio}, '
                f'scaling_ratio_range={self.scaling_ratio_range}, '
                f'max_shear_degree={self.max_shear_degree}, '
                f'border_val={self.border_val}, '
                f'bbox_clip_border={self.bbox_clip_border})')
