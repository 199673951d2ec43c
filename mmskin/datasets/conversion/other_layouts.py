"""Lesion collections beyond the ISIC 2016 / 2017 challenges: ISIC 2018
Task 1, the PH2 database, and any folder of images with masks.

Labels are optional in all three: an image without one is converted
unlabelled (:data:`mmskin.utils.UNKNOWN_CATEGORY_ID`).
"""
import re
from pathlib import Path
from typing import Optional, Sequence

from mmskin.utils import (ISIC_CLASSES, MASK_SUFFIXES, ISICFileError, LabelTable,
                          read_label_csv)
from mmskin.utils.isic_files import PathLike
from mmskin.utils.label_csv import MALIGNANT_DIAGNOSES
from .coco import SampleCollection, pair_samples, require_dir

#: ISIC 2018 Task 1 splits and folders, as the archives unpack.
ISIC2018_SPLITS = ('Training', 'Validation', 'Test')
ISIC2018_IMAGE_DIR = 'ISIC2018_Task1-2_{split}_Input'
ISIC2018_MASK_DIR = 'ISIC2018_Task1_{split}_GroundTruth'
#: PH2: the image folder and the clinical diagnosis table, as distributed.
PH2_IMAGE_DIR = 'PH2 Dataset images'
PH2_TABLE = 'PH2_dataset.txt'
#: PH2 "Clinical Diagnosis" codes: common nevus, atypical nevus, melanoma.
PH2_DIAGNOSES = {'0': ISIC_CLASSES.index('benign'), '1': ISIC_CLASSES.index('benign'),
                 '2': ISIC_CLASSES.index('malignant')}


def _optional_labels(labels: Optional[PathLike],
                     malignant_diagnoses: Sequence[str] = MALIGNANT_DIAGNOSES
                     ) -> Optional[LabelTable]:
    return (read_label_csv(labels, malignant_diagnoses=malignant_diagnoses)
            if labels is not None else None)


def _isic_mask_names(image_id: str) -> tuple:
    return tuple(image_id + suffix for suffix in MASK_SUFFIXES)


def find_isic2018_samples(root: PathLike, split: str, labels: Optional[PathLike] = None,
                          malignant_diagnoses: Sequence[str] = MALIGNANT_DIAGNOSES
                          ) -> SampleCollection:
    """Images and masks of one split of ISIC 2018 Task 1, labels optional.

    Args:
        root: the folder the Task 1 archives were unpacked in.
        split: one of :data:`ISIC2018_SPLITS`.
        labels: a label CSV (:func:`mmskin.utils.read_label_csv`), e.g. the
            Task 3 ground truth (one-hot diagnoses) or the archive's
            metadata; it may hold other images too. Task 1 and Task 3 share
            few images, so most images may stay unlabelled.
        malignant_diagnoses: with one-hot diagnoses, those that mean
            malignant (default melanoma, as in ISIC 2017).
    """
    if split not in ISIC2018_SPLITS:
        raise ValueError(f'unknown split {split!r}; expected one of {", ".join(ISIC2018_SPLITS)}')
    root = Path(root)
    require_dir(root)
    return pair_samples(
        root, f'isic2018 {split}', _optional_labels(labels, malignant_diagnoses),
        root / ISIC2018_IMAGE_DIR.format(split=split), root / ISIC2018_MASK_DIR.format(split=split),
        _isic_mask_names, labels_cover_images=False)


def read_ph2_table(path: Path) -> LabelTable:
    """Labels of the PH2 clinical diagnosis table (``||``-delimited text).

    The header row names the fields (``Name``, ``Histological Diagnosis``,
    ``Clinical Diagnosis``, ...); data rows start with ``|| IMDxxx ||``.
    Clinical diagnosis 2 (melanoma) is malignant, 0 and 1 (common and
    atypical nevus) benign.
    """
    if not path.is_file():
        raise ISICFileError(path, 'file not found')
    table = LabelTable(path)
    columns = None
    # Not a CSV, and only its name and diagnosis cells are read: a byte that
    # is not UTF-8 in a free-text cell cannot change a label.
    for line_number, line in enumerate(path.read_text(errors='replace').splitlines(), start=1):
        if not line.strip().startswith('||'):
            continue
        cells = [cell.strip() for cell in line.strip().strip('|').split('||')]
        if columns is None:
            if 'Name' in cells and 'Clinical Diagnosis' in cells:
                columns = cells.index('Name'), cells.index('Clinical Diagnosis')
            continue
        name, diagnosis = (cells[c] if c < len(cells) else '' for c in columns)
        if not re.fullmatch(r'IMD\d+', name):
            continue
        if diagnosis in PH2_DIAGNOSES:
            table.add(name, line_number, PH2_DIAGNOSES[diagnosis])
        else:
            table.reject(name, line_number, f'unknown clinical diagnosis {diagnosis!r} of {name}; '
                         'expected 0, 1 (nevus) or 2 (melanoma)')
    if columns is None:
        raise ISICFileError(path, "no header row naming 'Name' and 'Clinical Diagnosis'")
    return table


def find_ph2_samples(root: PathLike, labels: Optional[PathLike] = None) -> SampleCollection:
    """The PH2 database as distributed: ``PH2 Dataset images/IMDxxx/`` holding
    ``IMDxxx_Dermoscopic_Image/IMDxxx.bmp`` and ``IMDxxx_lesion/IMDxxx_lesion.bmp``,
    labels from ``PH2_dataset.txt`` (:func:`read_ph2_table`) unless a label
    CSV ``labels`` overrides them."""
    root = Path(root)
    require_dir(root)
    image_root = root / PH2_IMAGE_DIR
    require_dir(image_root)
    table = (read_label_csv(labels) if labels is not None else read_ph2_table(root / PH2_TABLE))
    cases = sorted(p for p in image_root.iterdir() if p.is_dir())
    if not cases:
        raise ISICFileError(image_root, 'no case folders (IMDxxx) in folder')
    collection = SampleCollection('ph2')
    for case in cases:
        part = pair_samples(
            root, 'ph2', table, case / f'{case.name}_Dermoscopic_Image',
            case / f'{case.name}_lesion', lambda image_id: (f'{image_id}_lesion.bmp', ),
            labels_cover_images=False)
        collection.samples += part.samples
        collection.dropped += part.dropped
        for image_id, problem in zip(part.problem_ids, part.problems):
            collection.add_problem(image_id, problem)
    case_ids = {case.name for case in cases}
    for image_id in sorted(set(table.rows) - case_ids - set(table.problems)):
        if labels is None:  # the table describes the distributed cases
            collection.add_problem(image_id, ISICFileError(
                table.csv_path, f'line {table.rows[image_id]}: {image_id} has no case folder '
                f'in {image_root}'))
    return collection


def find_folder_samples(images: PathLike, masks: PathLike, labels: Optional[PathLike] = None,
                        root: Optional[PathLike] = None) -> SampleCollection:
    """A folder of images and a folder of their masks
    (``<image stem>_segmentation.png`` or ``_Segmentation.png``), labels
    optional (a CSV with ``image_id`` and ``melanoma`` or ``malignant``, or any
    form :func:`mmskin.utils.read_label_csv` reads).

    Args:
        root: ``file_name`` in the output is relative to it (default: the
            parent of ``images``).
    """
    images = Path(images)
    root = Path(root) if root is not None else images.parent
    require_dir(root)
    return pair_samples(root, f'folder {images.name}', _optional_labels(labels), images,
                        Path(masks), _isic_mask_names, labels_cover_images=False)
