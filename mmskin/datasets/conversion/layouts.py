"""Where each ISIC release keeps its images, masks and labels.

Each reader returns a :class:`~.coco.SampleCollection` for
:func:`~.coco.convert_to_coco`; labels are read by
:func:`mmskin.utils.read_label_csv`, masks found by their ISIC names
(:data:`mmskin.utils.MASK_SUFFIXES`). Other collections (ISIC 2018, PH2, a
plain folder) are in :mod:`.other_layouts`.
"""
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

from mmskin.utils import MASK_SUFFIXES, read_label_csv
from mmskin.utils.isic_files import PathLike
from .coco import SampleCollection, pair_samples, require_dir

logger = logging.getLogger(__name__)


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
    #: the label column of the CSV (empty: ISBI 2016's CSV has no header).
    label_column: str

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
        mask_suffix=MASK_SUFFIXES[1],
        label_csv='ISBI2016_ISIC_Part3_{split}_GroundTruth.csv',
        label_column=''),
    'isic2017': OfficialLayout(
        splits=('Training', 'Validation', 'Test_v2'),
        image_dir='ISIC-2017_{split}_Data',
        mask_dir='ISIC-2017_{split}_Part1_GroundTruth',
        mask_suffix=MASK_SUFFIXES[0],
        label_csv='ISIC-2017_{split}_Part3_GroundTruth.csv',
        label_column='melanoma'),
}


def find_official_samples(root: PathLike, layout: str, split: str) -> SampleCollection:
    """Pair images, masks and labels of one split of an official release.

    Without the split's Part 3 label CSV (e.g. a test split whose labels are
    private) every image is converted unlabelled, with a warning.

    Args:
        root: the folder the challenge archives were unpacked in.
        layout: a key of ``OFFICIAL_LAYOUTS`` (``isbi2016`` or ``isic2017``).
        split: e.g. ``Training``; see ``OfficialLayout.splits``.

    Raises:
        ISICFileError: a folder is missing or empty, or the CSV is malformed.
    """
    if layout not in OFFICIAL_LAYOUTS:
        raise ValueError(
            f'unknown layout {layout!r}; expected one of {", ".join(OFFICIAL_LAYOUTS)}')
    spec = OFFICIAL_LAYOUTS[layout]
    spec.check_split(split)
    root = Path(root)
    require_dir(root)
    csv_path = root / spec.label_csv.format(split=split)
    if not csv_path.is_file():
        logger.warning('%s: no label CSV; every image is converted unlabelled', csv_path)
        table = None
    elif spec.label_column:
        table = read_label_csv(csv_path, label_columns=(spec.label_column, ))
    else:
        table = read_label_csv(csv_path)
    return pair_samples(
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
        metadata: metadata CSV with an id column (``isic_id``, ``image_id``
            or ``name``) and ``benign_malignant``, relative to ``root``;
            undetermined diagnoses are dropped (paper III-A).
    """
    root = Path(root)
    require_dir(root)
    table = read_label_csv(root / metadata, label_columns=('benign_malignant', ),
                           id_columns=('isic_id', 'image_id', 'name'))
    return pair_samples(
        root, 'ISIC archive', table, root / images, root / masks,
        lambda isic_id: (*(isic_id + suffix for suffix in MASK_SUFFIXES), f'{isic_id}.png'))
