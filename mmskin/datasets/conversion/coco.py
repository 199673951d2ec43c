"""Check lesion images, masks and labels and write one COCO instance file.

The paper (III-A) trains on ISIC images that have a lesion mask and uses "a
minimum rectangle box to cover the whole mask" as the detection label; images
whose diagnosis is undetermined are dropped. The file written holds:

* one image entry per lesion image: ``id, file_name, width, height, isic_id``,
  with ``file_name`` relative to the dataset root;
* one annotation per image: category 1 (benign) or 2 (malignant), or
  :data:`~mmskin.utils.UNKNOWN_CATEGORY_ID` (0, no category) when the
  diagnosis is unknown; ``bbox`` the :func:`~mmskin.utils.tight_box` of the
  mask, ``segmentation`` an RLE (default) or polygons, ``area`` the number of
  mask pixels, ``iscrowd`` 0.

Masks are read with :func:`mmskin.utils.read_mask` in its strict form: the
scorer's ``> 128`` rule, and only 0 and 255, not empty.

Every problem is an :class:`~mmskin.utils.ISICFileError` whose message is one
line naming the file and the problem. Problems that concern one image (a
missing mask, a corrupt JPEG, an unknown label, ...) can instead be skipped
(``skip_bad=True``): they are logged and counted in the summary.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from mmskin.utils import (ISIC_CLASSES, UNKNOWN_CATEGORY_ID, ISICFileError, LabelTable,
                          dump_json_atomic, mask_to_annotation, read_image_size, read_mask)
from mmskin.utils.isic_files import PathLike, is_lesion_image

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    """One lesion image ready to be checked and converted."""

    isic_id: str
    image_path: Path
    mask_path: Path
    #: 0 benign, 1 malignant (index into ``ISIC_CLASSES``); None: unknown.
    label: Optional[int]
    #: ``image_path`` relative to the dataset root, with ``/`` separators.
    file_name: str


@dataclass
class SampleCollection:
    """What a layout reader found: usable samples and per-image problems."""

    description: str
    samples: List[Sample] = field(default_factory=list)
    #: ids whose diagnosis is undetermined (left out, as in paper III-A).
    dropped: List[str] = field(default_factory=list)
    #: one entry per image id that cannot be used, and those ids.
    problems: List[ISICFileError] = field(default_factory=list)
    problem_ids: List[str] = field(default_factory=list)

    def add_problem(self, isic_id: str, problem: ISICFileError) -> None:
        """Record that image ``isic_id`` cannot be used, and why."""
        self.problem_ids.append(isic_id)
        self.problems.append(problem)

    def select(self, ids: Iterable[str], source: PathLike) -> 'SampleCollection':
        """The same collection restricted to ``ids`` (listed in ``source``).

        Raises:
            ISICFileError: naming ``source``, if an id is not in the collection.
        """
        wanted = set(ids)
        known = {s.isic_id for s in self.samples} | set(self.dropped) | set(self.problem_ids)
        unknown = sorted(wanted - known)
        if unknown:
            raise ISICFileError(source, f'{len(unknown)} ids are not in {self.description}: '
                                f'{", ".join(unknown[:5])}{", ..." if len(unknown) > 5 else ""}')
        kept = [(i, p) for i, p in zip(self.problem_ids, self.problems) if i in wanted]
        return SampleCollection(
            self.description,
            samples=[s for s in self.samples if s.isic_id in wanted],
            dropped=[i for i in self.dropped if i in wanted],
            problems=[p for _, p in kept],
            problem_ids=[i for i, _ in kept])


@dataclass
class ConversionSummary:
    """Counts reported at the end of a conversion."""

    out_file: Path
    num_benign: int
    num_malignant: int
    num_unlabelled: int
    dropped: List[str]
    skipped: List[ISICFileError]

    @property
    def num_images(self) -> int:
        return self.num_benign + self.num_malignant + self.num_unlabelled

    def __str__(self) -> str:
        return (f'{self.out_file}: {self.num_images} images ({self.num_benign} benign, '
                f'{self.num_malignant} malignant, {self.num_unlabelled} unlabelled); '
                f'dropped {len(self.dropped)} (indeterminate); skipped {len(self.skipped)} '
                '(bad)')


def require_dir(path: Path) -> None:
    """Raise :class:`ISICFileError` unless ``path`` is a folder."""
    if not path.is_dir():
        raise ISICFileError(path, 'folder not found')


def _list_images(image_dir: Path) -> Tuple[Dict[str, Path], Dict[str, ISICFileError]]:
    """Lesion images in a folder by id, and the ids that have several files."""
    require_dir(image_dir)
    found: Dict[str, List[Path]] = {}
    for path in sorted(image_dir.iterdir()):
        if is_lesion_image(path):
            found.setdefault(path.stem, []).append(path)
    if not found:
        raise ISICFileError(image_dir, 'no images in folder')
    images = {isic_id: paths[0] for isic_id, paths in found.items() if len(paths) == 1}
    problems = {
        isic_id: ISICFileError(paths[0], f'several images for id {isic_id}: '
                               f'{", ".join(p.name for p in paths)}')
        for isic_id, paths in found.items() if len(paths) > 1
    }
    return images, problems


def pair_samples(root: Path, description: str, table: Optional[LabelTable], image_dir: Path,
                 mask_dir: Path, mask_names: Callable[[str], Sequence[str]], *,
                 labels_cover_images: bool = True) -> SampleCollection:
    """Match CSV rows, images and masks by id; report every mismatch.

    Args:
        root: the dataset root; ``file_name`` is relative to it.
        description: names the set in messages and the progress bar.
        table: the labels (:func:`mmskin.utils.read_label_csv`); None: every
            image is unlabelled.
        image_dir, mask_dir: the folders of images and masks.
        mask_names: the mask file names to try for an image id, in order.
        labels_cover_images: the CSV is the split's own ground truth: a row
            without an image and an image without a row are problems. False
            for a CSV that covers other images too (e.g. ISIC 2018 Task 3 for
            Task 1 images): its other rows are ignored and an image without
            a row is unlabelled.
    """
    images, problems = _list_images(image_dir)
    table = table if table is not None else LabelTable(Path())
    if not labels_cover_images:
        problems.update({i: p for i, p in table.problems.items() if i in images})
    else:
        problems.update(table.problems)
    require_dir(mask_dir)
    if not any(mask_dir.iterdir()):
        raise ISICFileError(mask_dir, 'mask folder is empty')
    rows = set(table.rows) if labels_cover_images else set(table.rows) & set(images)
    collection = SampleCollection(
        description, dropped=sorted((table.dropped & (rows | set(images))) - set(problems)))
    for isic_id in sorted(set(images) | rows | set(problems)):
        if isic_id in problems:
            collection.add_problem(isic_id, problems[isic_id])
        elif isic_id in table.dropped:
            continue
        elif isic_id not in images:
            collection.add_problem(isic_id, ISICFileError(
                table.csv_path,
                f'line {table.rows[isic_id]}: {isic_id} has no image in {image_dir}'))
        elif isic_id not in table.rows and labels_cover_images and table.rows:
            collection.add_problem(isic_id, ISICFileError(
                images[isic_id], f'image has no row in {table.csv_path}'))
        else:
            candidates = [mask_dir / name for name in mask_names(isic_id)]
            mask_path = next((p for p in candidates if p.is_file()), None)
            if mask_path is None:
                collection.add_problem(isic_id, ISICFileError(
                    images[isic_id], f'image has no mask; expected {candidates[0]}'))
                continue
            file_name = Path(os.path.relpath(images[isic_id], root)).as_posix()
            collection.samples.append(Sample(
                isic_id, images[isic_id], mask_path, table.labels.get(isic_id), file_name))
    return collection


def _convert_sample(task: Tuple[Sample, bool]) -> Union[Tuple[dict, dict], ISICFileError]:
    """Image entry and annotation of one sample, without ids (pool worker)."""
    sample, polygon = task
    try:
        width, height = read_image_size(sample.image_path)
        mask = read_mask(sample.mask_path, (height, width), strict=True)
        annotation = mask_to_annotation(mask, polygon)
    except ISICFileError as exc:
        return exc
    except ValueError as exc:
        return ISICFileError(sample.mask_path, f'{exc}; convert with RLE instead')
    image = dict(file_name=sample.file_name, width=width, height=height, isic_id=sample.isic_id)
    category_id = UNKNOWN_CATEGORY_ID if sample.label is None else sample.label + 1
    annotation.update(category_id=category_id, iscrowd=0)
    return image, annotation


def _convert_all(tasks: List[Tuple[Sample, bool]],
                 nproc: int) -> Iterator[Union[Tuple[dict, dict], ISICFileError]]:
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
        collection: from a layout reader (:mod:`.layouts`).
        out_file: the JSON to write (atomically: :func:`mmskin.utils.dump_json_atomic`).
        skip_bad: log and skip images with a problem instead of failing.
        polygon: write polygons instead of RLE masks.
        nproc: worker processes that decode images.
        progress: show a progress bar.

    Raises:
        ISICFileError: the first problem (``skip_bad`` False), or no image
            is left to convert.
    """
    skipped: List[ISICFileError] = []

    def handle(problem: ISICFileError) -> None:
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
            if isinstance(result, ISICFileError):
                handle(result)
                continue
            image, annotation = result
            image['id'] = annotation['id'] = annotation['image_id'] = len(images) + 1
            images.append(image)
            annotations.append(annotation)
    if not images:
        raise ISICFileError(out_file, f'nothing to write: no usable image in '
                            f'{collection.description} ({len(skipped)} skipped)')
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(ISIC_CLASSES)]
    dump_json_atomic(dict(info=dict(description=f'ISIC {collection.description}'),
                          images=images, annotations=annotations, categories=categories),
                     out_file)
    counts = [sum(a['category_id'] == c for a in annotations) for c in (1, 2)]
    return ConversionSummary(Path(out_file), *counts, len(images) - sum(counts),
                             collection.dropped, skipped)
