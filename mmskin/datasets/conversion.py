"""Convert the official ISIC releases to COCO instance annotations.

The paper (III-A) trains on ISIC images that have a lesion mask and uses "a
minimum rectangle box to cover the whole mask" as the detection label; images
whose diagnosis is undetermined are dropped. This module reads the three
on-disk layouts the data comes in (ISBI 2016, ISIC 2017, an ISIC archive
export), checks every file and writes one COCO instance JSON per split:

* one image entry per lesion image: ``id, file_name, width, height, isic_id``,
  with ``file_name`` relative to the folder the archives were unpacked in;
* one annotation per image: category 1 (benign) or 2 (malignant), ``bbox`` the
  :func:`~mmskin.datasets.isic.tight_box` of the mask, ``segmentation`` an RLE
  (default) or polygons, ``area`` the number of mask pixels, ``iscrowd`` 0.

Masks are read as the official ISIC scorer reads them: a single-channel 8-bit
PNG, foreground = value > 128. A mask holding only 0 and 1 would therefore be
all background to the scorer; rather than guess, the converter rejects it
with a message that says how to fix it. Masks with values other than 0 and
255 (e.g. saved as JPEG) are rejected as not binary.

Every problem with the input is a :class:`ConversionError` whose message is
one line naming the file and the problem. Problems that concern one image
(a missing mask, a corrupt JPEG, an unknown label, ...) can instead be skipped
(``skip_bad=True``): they are logged and counted in the summary.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import cv2
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from .isic import ISIC_CLASSES, tight_box

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]

#: File suffixes taken as images; anything else in an image folder is ignored.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')
#: Files in ISIC image folders that are not lesion images (ISIC 2017 ships
#: superpixel maps beside the images).
NON_IMAGE_SUFFIXES = ('_superpixels.png', '_segmentation.png', '_Segmentation.png')
#: Diagnoses in an archive ``benign_malignant`` column that are left out.
UNDETERMINED_LABELS = ('', 'indeterminate', 'indeterminate/benign', 'indeterminate/malignant')
#: Columns that may hold the image id in an archive metadata CSV, by preference.
ARCHIVE_ID_COLUMNS = ('isic_id', 'image_id', 'name')


class ConversionError(Exception):
    """Input the converter cannot use.

    ``str(error)`` is one line, ``"<file>: <problem>"``, fit to show a user.

    Args:
        path: the file or folder at fault.
        problem: what is wrong and, where it helps, what was expected.
    """

    def __init__(self, path: PathLike, problem: str) -> None:
        # Both arguments go to Exception so that the error pickles (workers
        # of a multiprocessing pool send it back to the parent).
        super().__init__(Path(path), problem)
        self.path = Path(path)
        self.problem = problem

    def __str__(self) -> str:
        return f'{self.path}: {self.problem}'


@dataclass(frozen=True)
class OfficialLayout:
    """File names of one official ISIC challenge release.

    ``{split}`` in a name stands for the split (``Training``, ``Test``, ...).
    """

    splits: Tuple[str, ...]
    image_dir: str
    mask_dir: str
    #: appended to the image id to name its mask, in the official spelling.
    mask_suffix: str
    label_csv: str

    def check_split(self, split: str) -> None:
        """Raise :class:`ValueError` if ``split`` is not a split of the release."""
        if split not in self.splits:
            raise ValueError(f'unknown split {split!r}; expected one of {", ".join(self.splits)}')


#: The official layouts, exactly as the challenge archives unpack.
OFFICIAL_LAYOUTS: Dict[str, OfficialLayout] = {
    'isbi2016': OfficialLayout(
        splits=('Training', 'Test'),
        image_dir='ISBI2016_ISIC_Part1_{split}_Data',
        mask_dir='ISBI2016_ISIC_Part1_{split}_GroundTruth',
        mask_suffix='_Segmentation.png',
        label_csv='ISBI2016_ISIC_Part3_{split}_GroundTruth.csv'),
    'isic2017': OfficialLayout(
        splits=('Training', 'Validation', 'Test_v2'),
        image_dir='ISIC-2017_{split}_Data',
        mask_dir='ISIC-2017_{split}_Part1_GroundTruth',
        mask_suffix='_segmentation.png',
        label_csv='ISIC-2017_{split}_Part3_GroundTruth.csv'),
}


@dataclass(frozen=True)
class Sample:
    """One lesion image ready to be checked and converted."""

    isic_id: str
    image_path: Path
    mask_path: Path
    #: 0 benign, 1 malignant (index into ``ISIC_CLASSES``).
    label: int
    #: ``image_path`` relative to the dataset root, with ``/`` separators.
    file_name: str


@dataclass
class SampleCollection:
    """What a layout reader found: usable samples and per-image problems."""

    description: str
    samples: List[Sample] = field(default_factory=list)
    #: ids whose diagnosis is undetermined (left out, as in paper III-A).
    dropped: List[str] = field(default_factory=list)
    #: one entry per image id that cannot be used.
    problems: List[ConversionError] = field(default_factory=list)


@dataclass
class ConversionSummary:
    """Counts reported at the end of a conversion."""

    out_file: Path
    num_benign: int
    num_malignant: int
    dropped: List[str]
    skipped: List[ConversionError]

    @property
    def num_images(self) -> int:
        return self.num_benign + self.num_malignant

    def __str__(self) -> str:
        return (f'{self.out_file}: {self.num_images} images ({self.num_benign} benign, '
                f'{self.num_malignant} malignant); dropped {len(self.dropped)} '
                f'(indeterminate); skipped {len(self.skipped)} (bad)')


@dataclass
class _LabelTable:
    """Labels read from a ground-truth CSV."""

    csv_path: Path
    labels: Dict[str, int] = field(default_factory=dict)
    #: line number of each id's row, for messages.
    rows: Dict[str, int] = field(default_factory=dict)
    #: ids whose diagnosis is undetermined.
    dropped: Set[str] = field(default_factory=set)
    #: ids that cannot be used (unknown label, duplicate row), with the reason.
    problems: Dict[str, ConversionError] = field(default_factory=dict)

    def add(self, isic_id: str, line: int, label: Optional[int]) -> None:
        """Record a row; ``label`` None means undetermined (dropped)."""
        if not isic_id:
            self.reject(isic_id, line, 'empty image id')
        elif isic_id in self.rows:
            self.problems[isic_id] = ConversionError(
                self.csv_path, f'duplicate id {isic_id} in lines {self.rows[isic_id]} and {line}')
        else:
            self.rows[isic_id] = line
            if label is None:
                self.dropped.add(isic_id)
            else:
                self.labels[isic_id] = label

    def reject(self, isic_id: str, line: int, problem: str) -> None:
        """Record a row that cannot be used; an empty id is keyed by its line."""
        key = isic_id or f'<line {line}>'
        self.rows.setdefault(key, line)
        self.problems[key] = ConversionError(self.csv_path, f'line {line}: {problem}')


def _require_dir(path: Path) -> None:
    if not path.is_dir():
        raise ConversionError(path, 'folder not found')


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise ConversionError(path, 'file not found')


def _open_csv_rows(csv_path: Path) -> List[Tuple[int, List[str]]]:
    """Non-blank rows of a CSV with their line numbers, cells stripped."""
    _require_file(csv_path)
    # utf-8-sig: CSVs re-saved by spreadsheet programs start with a BOM.
    with open(csv_path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        rows = [(reader.line_num, [cell.strip() for cell in row]) for row in reader
                if any(cell.strip() for cell in row)]
    if not rows:
        raise ConversionError(csv_path, 'CSV file has no rows')
    return rows


def _header_columns(csv_path: Path, header: List[str], required: Sequence[str]) -> List[int]:
    """Positions of the ``required`` columns in a CSV header."""
    missing = [name for name in required if name not in header]
    if missing:
        raise ConversionError(csv_path, f'header {",".join(header)!r} has no column '
                              f'{missing[0]!r}; expected columns {", ".join(required)}')
    return [header.index(name) for name in required]


def read_isbi2016_labels(csv_path: Path) -> _LabelTable:
    """Read an ISBI 2016 Part 3 ground truth (no header).

    Training rows are ``ISIC_<id>,benign|malignant``, test rows
    ``ISIC_<id>,0.0|1.0`` (1.0 = malignant); both forms are accepted in
    either split.
    """
    values = {'benign': 0, 'malignant': 1, '0': 0, '1': 1, '0.0': 0, '1.0': 1}
    table = _LabelTable(csv_path)
    for line, row in _open_csv_rows(csv_path):
        if len(row) == 2 and row[1].lower() in values:
            table.add(row[0], line, values[row[1].lower()])
        else:
            table.reject(row[0], line, f'unknown row {",".join(row)!r}; expected '
                         '"ISIC_<id>,benign|malignant" or "ISIC_<id>,0.0|1.0"')
    return table


def read_isic2017_labels(csv_path: Path) -> _LabelTable:
    """Read an ISIC 2017 Part 3 ground truth.

    Header ``image_id,melanoma,seborrheic_keratosis``; malignant means
    ``melanoma == 1`` (naevi and seborrheic keratoses are benign).
    """
    header, *rows = _open_csv_rows(csv_path)
    id_col, melanoma_col = _header_columns(csv_path, header[1], ('image_id', 'melanoma'))
    table = _LabelTable(csv_path)
    for line, row in rows:
        row += [''] * (len(header[1]) - len(row))
        isic_id, value = row[id_col], row[melanoma_col]
        if value in ('0', '0.0', '1', '1.0'):
            table.add(isic_id, line, int(float(value)))
        else:
            table.reject(isic_id, line, f'unknown melanoma value {value!r} for {isic_id}; '
                         'expected 0.0 or 1.0')
    return table


def read_archive_labels(csv_path: Path) -> _LabelTable:
    """Read an ISIC archive metadata export.

    The id is taken from the first of ``ARCHIVE_ID_COLUMNS`` that exists, the
    label from ``benign_malignant``. Rows whose diagnosis is undetermined
    (``UNDETERMINED_LABELS``) are dropped, as in paper III-A.
    """
    header, *rows = _open_csv_rows(csv_path)
    id_name = next((name for name in ARCHIVE_ID_COLUMNS if name in header[1]), 'isic_id')
    id_col, label_col = _header_columns(csv_path, header[1], (id_name, 'benign_malignant'))
    table = _LabelTable(csv_path)
    for line, row in rows:
        row += [''] * (len(header[1]) - len(row))
        isic_id, value = row[id_col], row[label_col].lower()
        if value in UNDETERMINED_LABELS:
            table.add(isic_id, line, None)
        elif value in ISIC_CLASSES:
            table.add(isic_id, line, ISIC_CLASSES.index(value))
        else:
            table.reject(isic_id, line, f'unknown benign_malignant value {value!r} for '
                         f'{isic_id}; expected benign, malignant or indeterminate')
    return table


def _list_images(image_dir: Path) -> Tuple[Dict[str, Path], Dict[str, ConversionError]]:
    """Lesion images in a folder by id, and the ids that have several files."""
    _require_dir(image_dir)
    found: Dict[str, List[Path]] = {}
    for path in sorted(image_dir.iterdir()):
        if (path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
                and not path.name.endswith(NON_IMAGE_SUFFIXES)):
            found.setdefault(path.stem, []).append(path)
    if not found:
        raise ConversionError(image_dir, f'no images ({", ".join(IMAGE_SUFFIXES)}) in folder')
    images = {isic_id: paths[0] for isic_id, paths in found.items() if len(paths) == 1}
    problems = {
        isic_id: ConversionError(paths[0], f'several images for id {isic_id}: '
                                 f'{", ".join(p.name for p in paths)}')
        for isic_id, paths in found.items() if len(paths) > 1
    }
    return images, problems


def _pair_samples(root: Path, description: str, table: _LabelTable, image_dir: Path,
                  mask_dir: Path, mask_names: Callable[[str], Sequence[str]]) -> SampleCollection:
    """Match CSV rows, images and masks by id; report every mismatch."""
    images, problems = _list_images(image_dir)
    problems.update(table.problems)
    _require_dir(mask_dir)
    if not any(mask_dir.iterdir()):
        raise ConversionError(mask_dir, 'mask folder is empty')
    collection = SampleCollection(description, dropped=sorted(table.dropped - set(problems)))
    for isic_id in sorted(set(images) | set(table.rows) | set(problems)):
        if isic_id in problems:
            collection.problems.append(problems[isic_id])
        elif isic_id in table.dropped:
            continue
        elif isic_id not in images:
            collection.problems.append(ConversionError(
                table.csv_path,
                f'line {table.rows[isic_id]}: {isic_id} has no image in {image_dir}'))
        elif isic_id not in table.rows:
            collection.problems.append(ConversionError(
                images[isic_id], f'image has no row in {table.csv_path}'))
        else:
            candidates = [mask_dir / name for name in mask_names(isic_id)]
            mask_path = next((p for p in candidates if p.is_file()), None)
            if mask_path is None:
                collection.problems.append(ConversionError(
                    images[isic_id], f'image has no mask; expected {candidates[0]}'))
                continue
            file_name = Path(os.path.relpath(images[isic_id], root)).as_posix()
            collection.samples.append(Sample(
                isic_id, images[isic_id], mask_path, table.labels[isic_id], file_name))
    return collection


def find_official_samples(root: PathLike, layout: str, split: str) -> SampleCollection:
    """Pair images, masks and labels of one split of an official release.

    Args:
        root: the folder the challenge archives were unpacked in.
        layout: a key of ``OFFICIAL_LAYOUTS`` (``isbi2016`` or ``isic2017``).
        split: e.g. ``Training``; see ``OfficialLayout.splits``.

    Raises:
        ConversionError: a folder or the CSV is missing, empty or malformed.
    """
    if layout not in OFFICIAL_LAYOUTS:
        raise ValueError(
            f'unknown layout {layout!r}; expected one of {", ".join(OFFICIAL_LAYOUTS)}')
    spec = OFFICIAL_LAYOUTS[layout]
    spec.check_split(split)
    root = Path(root)
    _require_dir(root)
    csv_path = root / spec.label_csv.format(split=split)
    read_labels = read_isbi2016_labels if layout == 'isbi2016' else read_isic2017_labels
    table = read_labels(csv_path)
    return _pair_samples(
        root, f'{layout} {split}', table,
        root / spec.image_dir.format(split=split), root / spec.mask_dir.format(split=split),
        lambda isic_id: (isic_id + spec.mask_suffix, ))


def find_archive_samples(root: PathLike, images: PathLike, masks: PathLike,
                         metadata: PathLike) -> SampleCollection:
    """Pair images, masks and labels of an ISIC archive export.

    Args:
        root: the dataset root; ``file_name`` in the output is relative to it.
        images: folder of ``<id>.jpg`` images, relative to ``root``.
        masks: folder of ``<id>_segmentation.png``, ``<id>_Segmentation.png``
            or ``<id>.png`` masks, relative to ``root``.
        metadata: metadata CSV with an id column and ``benign_malignant``,
            relative to ``root``.
    """
    root = Path(root)
    _require_dir(root)
    table = read_archive_labels(root / metadata)
    return _pair_samples(
        root, 'ISIC archive', table, root / images, root / masks,
        lambda isic_id: (f'{isic_id}_segmentation.png', f'{isic_id}_Segmentation.png',
                         f'{isic_id}.png'))


def read_image_size(path: Path) -> Tuple[int, int]:
    """Width and height of an image, after checking that it decodes to the end.

    The size comes from the header; the pixel data are decoded anyway to catch
    corrupt and truncated files before training meets them. JPEGs are decoded
    at 1/8 scale, which still reads every byte of the file. Greyscale, RGBA and
    16-bit images are accepted: the data pipeline reads them as 8-bit colour.

    Raises:
        ConversionError: the file is not a readable image.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.format == 'JPEG':
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ConversionError(path, f'cannot decode image ({exc})') from None
    return width, height


def read_mask(path: Path, size: Tuple[int, int]) -> np.ndarray:
    """Read a ground-truth mask the way the official ISIC scorer does.

    Args:
        path: single-channel 8-bit PNG with values 0 and 255.
        size: ``(width, height)`` of the image the mask belongs to.

    Returns:
        bool array (H, W), foreground = value > 128.

    Raises:
        ConversionError: unreadable, not single-channel, wrong size, empty,
            a 0/1 mask, or values other than 0 and 255.
    """
    try:
        with Image.open(path) as image:
            image.load()
            # The scorer reads 1-bit PNGs as 0/255 too.
            mask_image = image.convert('L') if image.mode == '1' else image.copy()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ConversionError(path, f'cannot decode mask ({exc})') from None
    if mask_image.mode != 'L':
        raise ConversionError(path, f'mask has mode {mask_image.mode}; expected a '
                              'single-channel 8-bit PNG with values 0 and 255')
    if mask_image.size != size:
        raise ConversionError(path, f'mask is {mask_image.size[0]}x{mask_image.size[1]} but '
                              f'its image is {size[0]}x{size[1]}')
    mask = np.asarray(mask_image)
    values = np.unique(mask)
    if values.max() == 0:
        raise ConversionError(path, 'mask is empty (all 0)')
    if values.max() == 1:
        raise ConversionError(path, 'mask looks like a 0/1 mask; ISIC masks are 0/255 (the '
                              'ISIC scorer reads a 0/1 mask as all background): multiply it by 255')
    if not np.isin(values, (0, 255)).all():
        shown = ', '.join(str(v) for v in values[:6]) + (', ...' if values.size > 6 else '')
        raise ConversionError(path, f'mask is not binary: values {shown}; expected only 0 and 255')
    return mask > 128


def mask_to_annotation(mask: np.ndarray, polygon: bool = False) -> dict:
    """COCO ``bbox``, ``area`` and ``segmentation`` of one binary mask.

    The box is the tight box of the mask (paper III-A), in COCO's
    ``[x, y, w, h]``. ``area`` counts mask pixels in both encodings. Polygons
    trace the outer contours only (COCO polygons cannot hold holes), so an
    RLE is the exact encoding and the default.

    Raises:
        ValueError: ``polygon`` is set and no contour has 3 or more points.
    """
    x0, y0, x1, y1 = (float(v) for v in tight_box(mask))
    if polygon:
        contours, _ = cv2.findContours(
            mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        # Contours run through pixel indices; COCO coordinates put pixel i on
        # [i, i + 1], so + 0.5 puts the points on the pixel centres.
        segmentation = [(c.reshape(-1) + 0.5).tolist() for c in contours if len(c) >= 3]
        if not segmentation:
            raise ValueError('no region of the mask is large enough to trace as a polygon')
    else:
        segmentation = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        segmentation['counts'] = segmentation['counts'].decode('ascii')
    return dict(bbox=[x0, y0, x1 - x0, y1 - y0], area=int(mask.sum()),
                segmentation=segmentation)


def _convert_sample(task: Tuple[Sample, bool]) -> Union[Tuple[dict, dict], ConversionError]:
    """Image entry and annotation of one sample, without ids (pool worker)."""
    sample, polygon = task
    try:
        width, height = read_image_size(sample.image_path)
        mask = read_mask(sample.mask_path, (width, height))
        annotation = mask_to_annotation(mask, polygon)
    except ConversionError as exc:
        return exc
    except ValueError as exc:
        return ConversionError(sample.mask_path, f'{exc}; convert with RLE instead')
    image = dict(file_name=sample.file_name, width=width, height=height, isic_id=sample.isic_id)
    annotation.update(category_id=sample.label + 1, iscrowd=0)
    return image, annotation


def dump_json_atomic(obj: object, out_file: PathLike) -> None:
    """Write JSON so that ``out_file`` is either the old file or the whole new one.

    The data go to a temporary file in the same folder, which then replaces
    ``out_file`` in one step (``os.replace``), so an interrupted run never
    leaves a half-written file behind.
    """
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out_file.parent, prefix=f'.{out_file.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, out_file)
    except BaseException:
        os.unlink(tmp_name)
        raise


def _convert_all(tasks: List[Tuple[Sample, bool]],
                 nproc: int) -> Iterator[Union[Tuple[dict, dict], ConversionError]]:
    """Results of :func:`_convert_sample` in task order, from ``nproc`` processes."""
    if nproc <= 1:
        yield from map(_convert_sample, tasks)
        return
    with Pool(nproc) as pool:
        yield from pool.imap(_convert_sample, tasks, chunksize=4)


def convert_to_coco(collection: SampleCollection, out_file: PathLike, *, skip_bad: bool = False,
                    polygon: bool = False, nproc: int = 1,
                    progress: bool = True) -> ConversionSummary:
    """Check every sample and write the COCO instance JSON.

    Images are numbered 1..N in id order; the annotation of an image has the
    image's id.

    Args:
        collection: from :func:`find_official_samples` or
            :func:`find_archive_samples`.
        out_file: the JSON to write (atomically; see :func:`dump_json_atomic`).
        skip_bad: log and skip images with a problem instead of failing.
        polygon: write polygons instead of RLE masks.
        nproc: worker processes that decode images.
        progress: show a progress bar.

    Raises:
        ConversionError: the first problem (``skip_bad`` False), or no image
            is left to convert.
    """
    skipped: List[ConversionError] = []

    def handle(problem: ConversionError) -> None:
        if not skip_bad:
            raise problem
        logger.warning('skipped %s', problem)
        skipped.append(problem)

    images: List[dict] = []
    annotations: List[dict] = []
    tasks = [(sample, polygon) for sample in collection.samples]
    with logging_redirect_tqdm(), tqdm(total=len(tasks), desc=collection.description,
                                       unit='img', disable=not progress) as bar:
        for problem in collection.problems:
            handle(problem)
        for result in _convert_all(tasks, nproc):
            bar.update()
            if isinstance(result, ConversionError):
                handle(result)
                continue
            image, annotation = result
            image['id'] = annotation['id'] = annotation['image_id'] = len(images) + 1
            images.append(image)
            annotations.append(annotation)
    if not images:
        raise ConversionError(out_file, f'nothing to write: no usable image in '
                              f'{collection.description} ({len(skipped)} skipped)')
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(ISIC_CLASSES)]
    dump_json_atomic(dict(info=dict(description=f'ISIC {collection.description}'),
                          images=images, annotations=annotations, categories=categories),
                     out_file)
    num_malignant = sum(a['category_id'] == 2 for a in annotations)
    return ConversionSummary(Path(out_file), len(images) - num_malignant, num_malignant,
                             collection.dropped, skipped)
