"""The lesion-area baseline: how well the lesion's size alone ranks melanoma.

A classifier that does not beat one number read off the ground-truth mask
has not learnt what the paper's classify subnet is for. The score of an
image is the fraction of it inside its ground-truth lesion mask.
"""
from pathlib import Path
from typing import Dict, Iterator, Tuple, Union

import numpy as np

from mmskin.evaluation.functional import classification_summary
from mmskin.evaluation.lesion_record import read_per_image
from mmskin.evaluation.statistics import DeLongComparison, delong_test
from mmskin.utils import (ISIC_CLASSES, UNKNOWN_LABEL, ISICFileError, decode_segmentation,
                          read_lesion_coco)

from .comparison import pair_runs

_MALIGNANT = ISIC_CLASSES.index('malignant')


def iter_lesions(ann_file: Union[str, Path]) -> Iterator[Tuple[dict, int, np.ndarray]]:
    """The images of a COCO file of the ISIC converter, by id, each with its
    ground-truth label and lesion.

    Args:
        ann_file: a lesion COCO file, read by
            :func:`mmskin.utils.read_lesion_coco` (categories by name).

    Yields:
        ``(image, label, mask)``: the COCO image entry, 0 benign /
        1 malignant, and the bool (H, W) union of the image's masks.

    Raises:
        ISICFileError: the file is inconsistent (:func:`mmskin.utils.read_lesion_coco`),
            or an image has no benign / malignant label.
    """
    lesions = read_lesion_coco(ann_file)
    unknown = [i for i, label in lesions.image_labels.items() if label == UNKNOWN_LABEL]
    if unknown:
        raise ISICFileError(ann_file, f'{len(unknown)} images have no benign / malignant label '
                            f'(e.g. image {unknown[0]}); the baseline ranks labelled images')
    by_image: Dict[int, list] = {}
    for ann in lesions.coco['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    for image in sorted(lesions.coco['images'], key=lambda image: image['id']):
        masks = [decode_segmentation(ann['segmentation'], image['height'], image['width'],
                                     ann_file) for ann in by_image[image['id']]]
        label = int(lesions.image_labels[image['id']] == _MALIGNANT)
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
    table = lesion_area_table(ann_file)
    return table['gt_label'], table['p_malignant']


def lesion_area_table(ann_file: Union[str, Path]) -> Dict[str, np.ndarray]:
    """The lesion-area baseline as the columns of a test run's ``per_image.csv``:
    ``image_id`` (the image file's stem, as ``tools/test.py`` names it),
    ``gt_label`` and the area fraction as ``p_malignant``, in image-id order
    of the COCO file (:func:`iter_lesions`)."""
    ids, labels, fractions = [], [], []
    for image, label, mask in iter_lesions(ann_file):
        ids.append(Path(image['file_name']).stem)
        fractions.append(np.count_nonzero(mask) / (image['width'] * image['height']))
        labels.append(label)
    return dict(image_id=np.array(ids), gt_label=np.array(labels, dtype=int),
                p_malignant=np.array(fractions, dtype=float))


def run_against_area(ann_file: Union[str, Path],
                     per_image_csv: Union[str, Path]) -> Tuple[DeLongComparison, int]:
    """DeLong's test of a test run's ``p_malignant`` against the lesion area
    on the same images (A: the area, B: the run; ``difference`` = run - area).

    Args:
        ann_file: the COCO file the run was tested on.
        per_image_csv: the run's ``per_image.csv`` (``tools/test.py --isic-out``).

    Returns:
        The comparison and the number of images.

    Raises:
        ISICFileError: the run scored other images than the COCO file holds,
            with other labels, or has no ``p_malignant`` on some of them
            (a model without a benign / malignant head).
    """
    area = lesion_area_table(ann_file)
    run = read_per_image(Path(per_image_csv))
    area, run = pair_runs(area, run, str(ann_file), str(per_image_csv))
    p_run = run['p_malignant'].astype(float)
    missing = ~np.isfinite(p_run)
    if missing.any():
        raise ISICFileError(per_image_csv, f'no p_malignant on {int(missing.sum())} images '
                            f'(e.g. {run["image_id"][missing][0]}); a model with a benign / '
                            'malignant head is compared with the lesion area')
    comparison = delong_test(area['gt_label'], area['p_malignant'], p_run)
    return comparison, int(area['gt_label'].size)


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
