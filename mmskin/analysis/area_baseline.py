"""The lesion-area baseline: how well the lesion's size alone ranks melanoma.

A classifier that does not beat one number read off the ground-truth mask
has not learnt what the paper's classify subnet is for. The score of an
image is the fraction of it inside its ground-truth lesion mask.
"""
from pathlib import Path
from typing import Dict, Iterator, Tuple, Union

import numpy as np
from pycocotools.coco import COCO

from mmskin.evaluation.functional import classification_summary
from mmskin.utils import ISICFileError, decode_segmentation

_MALIGNANT = 'malignant'


def iter_lesions(ann_file: Union[str, Path]) -> Iterator[Tuple[dict, int, np.ndarray]]:
    """The images of a COCO file of the ISIC converter, by id, each with its
    ground-truth label and lesion.

    Args:
        ann_file: a COCO instance file (one lesion annotation per image,
            categories ``benign`` and ``malignant``).

    Yields:
        ``(image, label, mask)``: the COCO image entry, 0 benign /
        1 malignant, and the bool (H, W) union of the image's masks.

    Raises:
        ISICFileError: an image without a lesion annotation, or no
            ``malignant`` category.
    """
    coco = COCO(str(ann_file))
    malignant = [c['id'] for c in coco.loadCats(coco.getCatIds()) if c['name'] == _MALIGNANT]
    if not malignant:
        raise ISICFileError(ann_file, f'no category named {_MALIGNANT!r}')
    for image_id in sorted(coco.getImgIds()):
        image = coco.loadImgs(image_id)[0]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        if not anns:
            raise ISICFileError(ann_file, f'image {image["file_name"]} has no lesion')
        masks = [decode_segmentation(ann['segmentation'], image['height'], image['width'],
                                     ann_file) for ann in anns]
        label = int(any(ann['category_id'] in malignant for ann in anns))
        yield image, label, np.any(masks, axis=0)


def lesion_area_fractions(ann_file: Union[str, Path]) -> Tuple[np.ndarray, np.ndarray]:
    """Ground-truth labels and lesion-area fractions of the images of a COCO file.

    Args:
        ann_file: as :func:`iter_lesions` takes it.

    Returns:
        ``(labels, fractions)``: (N,) 0 benign / 1 malignant, and (N,) the
        lesion's pixel area (union of the image's masks) / image area.

    Raises:
        ISICFileError: as :func:`iter_lesions`.
    """
    labels, fractions = [], []
    for image, label, mask in iter_lesions(ann_file):
        fractions.append(np.count_nonzero(mask) / (image['width'] * image['height']))
        labels.append(label)
    return np.array(labels), np.array(fractions)


def area_baseline_summary(ann_file: Union[str, Path]) -> Dict[str, float]:
    """ISIC classification scores of the lesion-area fraction as p(malignant).

    Only the ranking scores (``AUC``, ``AP``, ``SP_at_SE..``) are meaningful:
    a fraction is not a calibrated probability, so ``AC``, ``SE`` and ``SP``
    at the 0.5 threshold are left out. ``n`` and ``n_malignant`` count the
    images.
    """
    labels, fractions = lesion_area_fractions(ann_file)
    summary = classification_summary(labels, fractions)
    scores = {k: v for k, v in summary.items() if k not in ('AC', 'SE', 'SP')}
    scores.update(n=float(labels.size), n_malignant=float(labels.sum()))
    return scores
