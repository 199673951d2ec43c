"""The lesion COCO files: reading which lesion is which class, by name.

A COCO instance file of lesions (the ISIC converter writes them; other
programs may too) is read through :func:`read_lesion_coco`, by every part
of mmskin that takes labels from one (the dataset, the area baseline), so
they agree:

* a category is a class by its **name** in :data:`~.lesion.ISIC_CLASSES`,
  never by its position in ``categories`` nor by its id: a file listing
  ``malignant`` first, with ids to match, reads the same as the converter's;
  :data:`~.lesion.UNKNOWN_CATEGORY_ID` is a lesion of unknown diagnosis;
* every image holds one lesion: an image without annotation would be
  scored against an empty mask, or trained on without a label;
* the file must be consistent, or it is refused (an
  :class:`~.isic_files.ISICFileError` naming the file and the entry) rather
  than read by a guess: a category whose name is not a class, two
  categories with one id or one name, an annotation whose ``category_id``
  is not a category or whose ``image_id`` is not an image, two annotations
  of one image with different labels, repeated image or annotation ids, an
  image size that is not a positive whole number.
"""
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from .isic_files import ISICFileError, PathLike
from .lesion import ISIC_CLASSES, UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL

#: Keys every COCO instance file holds.
COCO_KEYS = ('images', 'annotations', 'categories')
_CONVERT_AGAIN = 'convert the data again with tools/dataset_converters/isic_to_coco.py'


@dataclass
class LesionCoco:
    """A checked lesion COCO file."""

    #: the file's content, as JSON.
    coco: dict
    #: ``category_id -> label`` (index into ``ISIC_CLASSES``; ``UNKNOWN_LABEL``
    #: for :data:`UNKNOWN_CATEGORY_ID`).
    category_labels: Dict[int, int]
    #: ``image id -> label`` of every image.
    image_labels: Dict[int, int]


def load_coco_file(ann_file: PathLike) -> dict:
    """The JSON of a COCO instance file with at least one image.

    Raises:
        ISICFileError: missing, empty, not JSON, without the COCO keys or
            without image.
    """
    path = Path(ann_file)
    if not path.is_file():
        raise ISICFileError(path, 'annotation file not found (check data_root and ann_file in '
                            'the config)')
    try:
        coco = json.loads(path.read_bytes().decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        problem = ('annotation file is empty' if path.stat().st_size == 0 else
                   f'annotation file is not valid JSON ({err})')
        raise ISICFileError(path, f'{problem}; {_CONVERT_AGAIN}') from None
    missing = [key for key in COCO_KEYS if not isinstance(coco, dict) or key not in coco]
    if missing:
        raise ISICFileError(path, f'not a COCO instance file: no {", ".join(missing)}')
    if not all(isinstance(coco[key], list) for key in COCO_KEYS):
        raise ISICFileError(path, f'not a COCO instance file: {", ".join(COCO_KEYS)} must be '
                            'lists')
    if not coco['images']:
        raise ISICFileError(path, 'annotation file lists no image')
    return coco


def _entry(path: Path, kind: str, index: int, entry: object, keys: tuple) -> dict:
    if not isinstance(entry, dict) or any(key not in entry for key in keys):
        raise ISICFileError(path, f'{kind} entry {index} lacks {", ".join(keys)}')
    return entry


def category_labels(coco: dict, ann_file: PathLike) -> Dict[int, int]:
    """``category_id -> label`` of a COCO file, by category name (see the module)."""
    path = Path(ann_file)
    labels = {UNKNOWN_CATEGORY_ID: UNKNOWN_LABEL}
    named: Dict[str, int] = {}
    for index, category in enumerate(coco['categories']):
        category = _entry(path, 'categories', index, category, ('id', 'name'))
        cat_id, name = category['id'], category['name']
        if name not in ISIC_CLASSES:
            raise ISICFileError(path, f'category {cat_id} {name!r} is not one of the classes '
                                f'{", ".join(ISIC_CLASSES)}')
        if cat_id in labels:
            raise ISICFileError(path, f'category id {cat_id} is used twice (or is '
                                f'{UNKNOWN_CATEGORY_ID}, the id of an unknown diagnosis)')
        if name in named:
            raise ISICFileError(path, f'categories {named[name]} and {cat_id} are both '
                                f'{name!r}')
        labels[cat_id] = ISIC_CLASSES.index(name)
        named[name] = cat_id
    return labels


def check_lesion_coco(coco: dict, ann_file: PathLike) -> LesionCoco:
    """Check a COCO file's images, annotations and categories (see the module).

    Raises:
        ISICFileError: naming ``ann_file`` and the first inconsistent entry.
    """
    path = Path(ann_file)
    labels = category_labels(coco, path)
    images: Dict[int, str] = {}
    for index, image in enumerate(coco['images']):
        image = _entry(path, 'images', index, image, ('id', 'file_name', 'width', 'height'))
        if image['id'] in images:
            raise ISICFileError(path, f'image id {image["id"]} is used twice')
        for key in ('width', 'height'):
            value = image[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ISICFileError(path, f'image {image["id"]} ({image["file_name"]}): {key} '
                                    f'{value!r} is not a positive whole number')
        images[image['id']] = image['file_name']
    by_image: Dict[int, List[dict]] = defaultdict(list)
    seen = set()
    for index, ann in enumerate(coco['annotations']):
        ann = _entry(path, 'annotations', index, ann, ('id', 'image_id', 'category_id'))
        if ann['id'] in seen:
            raise ISICFileError(path, f'annotation id {ann["id"]} is used twice')
        seen.add(ann['id'])
        if ann['category_id'] not in labels:
            known = ', '.join(f'{c} {ISIC_CLASSES[lb]}' for c, lb in labels.items() if lb >= 0)
            raise ISICFileError(path, f'annotation {ann["id"]}: category_id '
                                f'{ann["category_id"]!r} is not a category of the file '
                                f'({known}; {UNKNOWN_CATEGORY_ID}: unknown diagnosis)')
        if ann['image_id'] not in images:
            raise ISICFileError(path, f'annotation {ann["id"]}: image_id {ann["image_id"]!r} '
                                'is not an image of the file')
        by_image[ann['image_id']].append(ann)
    image_labels = {}
    for image_id, file_name in images.items():
        anns = by_image.get(image_id)
        if not anns:
            raise ISICFileError(path, f'image {image_id} ({file_name}) has no lesion '
                                f'annotation; every image holds one lesion: {_CONVERT_AGAIN}')
        found = {labels[a['category_id']] for a in anns}
        if len(found) > 1:
            names = ', '.join(f'annotation {a["id"]}: category {a["category_id"]}' for a in anns)
            raise ISICFileError(path, f'image {image_id} ({file_name}) has annotations of '
                                f'different labels ({names}); one lesion has one diagnosis')
        image_labels[image_id] = found.pop()
    return LesionCoco(coco, labels, image_labels)


def read_lesion_coco(ann_file: PathLike) -> LesionCoco:
    """Load and check a lesion COCO file (:func:`load_coco_file`,
    :func:`check_lesion_coco`)."""
    return check_lesion_coco(load_coco_file(ann_file), ann_file)
