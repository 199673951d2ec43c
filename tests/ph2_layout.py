"""Writing lesions in PH2's layout as distributed, for the converter tests."""
from pathlib import Path
from typing import Iterable

from PIL import Image

#: The folder of every case, under the PH2 root.
CASES = 'PH2 Dataset images'


def write_ph2_case(root: Path, number: int, photo: Path) -> Path:
    """Case IMD<number>: its photo as ``<case>.bmp``; returns the path its
    lesion mask goes to (``<case>_lesion/<case>_lesion.bmp``)."""
    case = f'IMD{number:03d}'
    folder = root / CASES / case
    (folder / f'{case}_Dermoscopic_Image').mkdir(parents=True)
    (folder / f'{case}_lesion').mkdir()
    Image.open(photo).save(folder / f'{case}_Dermoscopic_Image' / f'{case}.bmp')
    return folder / f'{case}_lesion' / f'{case}_lesion.bmp'


def write_ph2_table(root: Path, cases: Iterable[str]) -> None:
    """``PH2_dataset.txt`` listing the cases, clinical diagnoses 0, 1, 2 in turn."""
    (root / 'PH2_dataset.txt').write_text(
        '|| Name || Histological Diagnosis || Clinical Diagnosis ||\n' +
        ''.join(f'|| {case} ||   ||   {n % 3} ||\n' for n, case in enumerate(cases)))
