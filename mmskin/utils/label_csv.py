"""Reading lesion labels (benign / malignant) from the CSV files they come in.

One reader, :func:`read_label_csv`, for every form the ISIC data and its
relatives hold; it recognises the form by the header:

* no header (ISBI 2016 Part 3): rows ``ISIC_<id>,benign|malignant``
  (training) or ``ISIC_<id>,0.0|1.0`` (test, 1.0 = malignant);
* ``image_id,melanoma,...`` (ISIC 2017 Part 3) or ``image_id,malignant``:
  malignant iff the value is 1;
* ``isic_id,...,benign_malignant,...`` (ISIC archive metadata): ``benign``,
  ``malignant``, or an undetermined diagnosis (:data:`UNDETERMINED_LABELS`),
  which is dropped (paper III-A);
* ``image,MEL,NV,BCC,...`` (one-hot diagnoses, ISIC 2018 Task 3): every
  column but the id is a diagnosis, 0 or 1 (``0.0`` / ``1.0``), exactly one
  of them 1 per row; malignant iff it is one of the ``malignant_diagnoses``.
  A row with two diagnoses or none is a problem of that row, never a guess.

Files are read by :func:`~.text_files.read_csv_rows` (UTF-8 with or without
a byte-order mark, LF or CRLF, errors naming the line).

Problems with single rows (unknown label, duplicate id) are collected per
image id, so that a caller may skip those images; problems with the file
itself raise :class:`~mmskin.utils.isic_files.ISICFileError`.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from .isic_files import ISICFileError, PathLike, check_image_id
from .lesion import ISIC_CLASSES
from .text_files import read_csv_rows, read_text_lines

#: Columns that may hold the image id, by preference.
ID_COLUMNS = ('isic_id', 'image_id', 'image', 'name')
#: Columns that may hold the label, by preference.
LABEL_COLUMNS = ('benign_malignant', 'melanoma', 'malignant')
#: ``benign_malignant`` values of an undetermined diagnosis (dropped).
UNDETERMINED_LABELS = ('', 'indeterminate', 'indeterminate/benign', 'indeterminate/malignant')
#: One-hot diagnosis columns counted as malignant by default: melanoma, as in ISIC 2017.
MALIGNANT_DIAGNOSES = ('MEL', )
_NUMBERS = {'0': 0, '1': 1, '0.0': 0, '1.0': 1}
_NAMES = {name: index for index, name in enumerate(ISIC_CLASSES)}


def read_id_list(path: PathLike) -> List[str]:
    """The image ids listed in a text file, one per line (e.g. a split).

    Raises:
        ISICFileError: missing, empty, or an id listed twice.
    """
    path = Path(path)
    ids = [line for _, line in read_text_lines(path)]
    if not ids:
        raise ISICFileError(path, 'no image ids in the file')
    seen = set()
    for image_id in ids:
        if image_id in seen:
            raise ISICFileError(path, f'image {image_id} is listed twice')
        seen.add(image_id)
    return ids


def find_columns(path: PathLike, header: List[str], choices: Sequence[Sequence[str]]) -> List[int]:
    """Position in ``header`` of the first present name of each group of ``choices``."""
    lowered = [cell.lower() for cell in header]
    positions = []
    for names in choices:
        found = [lowered.index(name.lower()) for name in names if name.lower() in lowered]
        if not found:
            others = f' (nor {", ".join(repr(n) for n in names[1:])})' if len(names) > 1 else ''
            raise ISICFileError(path, f'header {",".join(header)!r} has no column '
                                f'{names[0]!r}{others}')
        positions.append(found[0])
    return positions


@dataclass
class LabelTable:
    """Labels read from a CSV file."""

    csv_path: Path
    #: image id -> 0 benign / 1 malignant (``ISIC_CLASSES`` order).
    labels: Dict[str, int] = field(default_factory=dict)
    #: line number of each id's row, for messages.
    rows: Dict[str, int] = field(default_factory=dict)
    #: ids whose diagnosis is undetermined.
    dropped: Set[str] = field(default_factory=set)
    #: ids that cannot be used (unknown label, duplicate row), with the reason.
    problems: Dict[str, ISICFileError] = field(default_factory=dict)

    def add(self, image_id: str, line: int, label: Optional[int]) -> None:
        """Record a row; ``label`` None means undetermined (dropped)."""
        if not image_id:
            self.reject(image_id, line, 'no image id')
            return
        try:
            check_image_id(image_id, self.csv_path)
        except ISICFileError as error:
            self.reject(image_id, line, error.problem)
            return
        if image_id in self.rows:
            self.problems[image_id] = ISICFileError(
                self.csv_path, f'line {line}: image {image_id} appears twice (first in line '
                f'{self.rows[image_id]})')
        else:
            self.rows[image_id] = line
            if label is None:
                self.dropped.add(image_id)
            else:
                self.labels[image_id] = label

    def reject(self, image_id: str, line: int, problem: str) -> None:
        """Record a row that cannot be used; an empty id is keyed by its line."""
        key = image_id or f'<line {line}>'
        self.rows.setdefault(key, line)
        self.problems[key] = ISICFileError(self.csv_path, f'line {line}: {problem}')

    def check(self) -> Dict[str, int]:
        """The labels, after raising the first problem if there is any."""
        for problem in self.problems.values():
            raise problem
        if not self.labels:
            raise ISICFileError(self.csv_path, 'no label rows')
        return self.labels


def _label_value(column: str, value: str) -> Tuple[bool, Optional[int]]:
    """``(known, label)`` of a cell of a label column; label None = undetermined."""
    lowered = value.lower()
    if lowered in _NAMES:
        return True, _NAMES[lowered]
    if column == 'benign_malignant':
        return lowered in UNDETERMINED_LABELS, None
    return lowered in _NUMBERS, _NUMBERS.get(lowered)


def read_label_csv(path: PathLike,
                   label_columns: Sequence[str] = LABEL_COLUMNS,
                   id_columns: Sequence[str] = ID_COLUMNS,
                   malignant_diagnoses: Sequence[str] = MALIGNANT_DIAGNOSES) -> LabelTable:
    """Read the labels of a CSV in any of the forms of the module docstring.

    Args:
        path: the CSV file.
        label_columns: the label columns to look for, by preference; a file
            with none of them is read as one-hot diagnoses if it has a
            ``malignant_diagnoses`` column, else it is an error naming the
            first.
        id_columns: the id columns to look for, by preference.
        malignant_diagnoses: one-hot diagnosis columns that mean malignant.

    Raises:
        ISICFileError: the file is missing, empty, or its header lacks the
            columns; problems with single rows are in ``LabelTable.problems``.
    """
    path = Path(path)
    rows = read_csv_rows(path)
    table = LabelTable(path)
    first = [cell.lower() for cell in rows[0][1]]
    if not set(first) & {name.lower() for name in (*id_columns, *label_columns)}:
        # No header: ISBI 2016's two columns.
        _check_first_row(path, rows[0][1], id_columns, label_columns, malignant_diagnoses)
        for line, row in rows:
            known, label = _label_value('', row[1]) if len(row) == 2 else (False, None)
            if known:
                table.add(row[0], line, label)
            else:
                table.reject(row[0], line, f'unknown row {",".join(row)!r}; expected '
                             '"<image id>,benign|malignant" or "<image id>,0.0|1.0"')
        return table
    (_, header), *rows = rows
    lowered = [cell.lower() for cell in header]
    label_names = [name for name in label_columns if name.lower() in lowered]
    diagnoses = [name for name in malignant_diagnoses if name.lower() in lowered]
    if not label_names and diagnoses:
        return _read_one_hot(path, header, rows, id_columns, diagnoses, table)
    id_col, label_col = find_columns(path, header, (id_columns, label_columns))
    column = lowered[label_col]
    for line, row in rows:
        row += [''] * (len(header) - len(row))
        image_id, value = row[id_col], row[label_col]
        known, label = _label_value(column, value)
        if known:
            table.add(image_id, line, label)
        else:
            expected = ('benign, malignant or indeterminate' if column == 'benign_malignant'
                        else '0 or 1 (or benign / malignant)')
            table.reject(image_id, line, f'unknown {column} value {value!r} for {image_id}; '
                         f'expected {expected}')
    return table


def _check_first_row(path: Path, row: List[str], id_columns: Sequence[str],
                     label_columns: Sequence[str], diagnoses: Sequence[str]) -> None:
    """A first row that is neither a header of known columns nor an ISBI 2016
    row is an error naming the columns: a header of other columns (e.g.
    ``image,prob``) must not be read as a row."""
    if len(row) == 2 and _label_value('', row[1])[0]:
        return
    raise ISICFileError(
        path, f'line 1: unknown row {",".join(row)!r}: neither a header naming an id column '
        f'({", ".join(id_columns)}) and a label column ({", ".join(label_columns)}) or '
        f'one-hot diagnoses ({", ".join(diagnoses)}, ...), nor a row "<image id>,benign|'
        'malignant" or "<image id>,0.0|1.0"')


def _read_one_hot(path: Path, header: List[str], rows: list, id_columns: Sequence[str],
                  diagnoses: Sequence[str], table: LabelTable) -> LabelTable:
    """Labels from one-hot diagnosis columns (ISIC 2018 Task 3 ground truth):
    every column but the id holds 0 or 1, exactly one 1 per row."""
    (id_col, ) = find_columns(path, header, (id_columns, ))
    columns = [c for c in range(len(header)) if c != id_col]
    malignant = {name.lower() for name in diagnoses}
    for line, row in rows:
        row += [''] * (len(header) - len(row))
        image_id = row[id_col]
        bad = [c for c in columns if row[c] not in _NUMBERS]
        if bad:
            table.reject(image_id, line, f'{header[bad[0]]} value {row[bad[0]]!r} of '
                         f'{image_id} is not 0 or 1 (one-hot diagnoses)')
            continue
        found = [header[c] for c in columns if _NUMBERS[row[c]]]
        if len(found) != 1:
            table.reject(image_id, line, f'{image_id} has {len(found)} diagnoses '
                         f'({", ".join(found) or "none"}); a one-hot row has exactly one 1 '
                         f'among {",".join(header[c] for c in columns)}')
            continue
        table.add(image_id, line, int(found[0].lower() in malignant))
    return table
