"""Reading the text files other programs write: CSVs and lists of ids.

One rule for every CSV and id list mmskin reads (label CSVs, predictions,
per-image results, splits), so that a file saved by a spreadsheet program
reads the same everywhere:

* the text is UTF-8, with or without the byte-order mark such programs put
  first; lines end in LF or CRLF;
* bytes that are not UTF-8 (e.g. Latin-1 from a spreadsheet on Windows) and
  binary data (a NUL byte) are an :class:`~.isic_files.ISICFileError`
  naming the file and the line, never a ``UnicodeDecodeError``;
* blank rows are skipped and cells stripped; every row keeps its line
  number for messages;
* a file that must start with a header (:func:`read_csv_table`) is refused
  when its first row lacks an expected column, naming the columns: a header
  is never read as a data row, nor a data row as a header.
"""
import csv
import io
import re
from pathlib import Path
from typing import List, Sequence, Tuple

from .isic_files import ISICFileError, PathLike

#: A CSV row with its 1-based line number.
Row = Tuple[int, List[str]]

_LINE_BREAK = re.compile(rb'\r\n|\r|\n')


def _line_of(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset`` of ``data``."""
    return len(_LINE_BREAK.findall(data, 0, offset)) + 1


def read_text(path: PathLike) -> str:
    """The text of a UTF-8 file (byte-order mark removed).

    Raises:
        ISICFileError: missing, unreadable, binary (a NUL byte) or not
            UTF-8, naming the line of the first bad byte.
    """
    path = Path(path)
    if not path.is_file():
        raise ISICFileError(path, 'file not found')
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ISICFileError(path, f'cannot be read ({error.strerror or error})') from None
    nul = data.find(b'\0')
    if nul >= 0:
        raise ISICFileError(path, f'line {_line_of(data, nul)}: binary data (a NUL byte); '
                            'expected a text file')
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        raise ISICFileError(
            path, f'line {_line_of(data, error.start)}: byte 0x{data[error.start]:02x} is not '
            'UTF-8 text; save the file as UTF-8 (e.g. "CSV UTF-8" in a spreadsheet '
            'program)') from None


def read_text_lines(path: PathLike) -> List[Tuple[int, str]]:
    """Non-blank lines of a text file (:func:`read_text`), stripped, with
    their 1-based numbers."""
    lines = read_text(path).splitlines()
    return [(number, line.strip()) for number, line in enumerate(lines, start=1)
            if line.strip()]


def read_csv_rows(path: PathLike) -> List[Row]:
    """Non-blank rows of a CSV file with their 1-based line numbers, cells stripped.

    Raises:
        ISICFileError: missing, not UTF-8 text (:func:`read_text`), not
            parseable as CSV, or without rows.
    """
    path = Path(path)
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=''))
    rows = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as error:
        raise ISICFileError(path, f'line {reader.line_num}: not readable as CSV '
                            f'({error})') from None
    if not rows:
        raise ISICFileError(path, 'CSV file has no rows')
    return rows


def read_csv_table(path: PathLike, columns: Sequence[str],
                   what: str = '') -> Tuple[List[str], List[Row]]:
    """The header and data rows of a CSV whose first row must be a header
    holding ``columns`` (others may follow; the order is free).

    Every data row must have as many cells as the header.

    Args:
        path: the file.
        columns: the columns the header must name.
        what: what the file should be, for the messages (e.g. 'the
            per_image.csv of tools/test.py --isic-out').

    Raises:
        ISICFileError: see :func:`read_csv_rows`; a first row without one of
            ``columns`` (naming them); a row of another length (its line).
    """
    path = Path(path)
    (_, header), *rows = read_csv_rows(path)
    missing = [name for name in columns if name not in header]
    if missing:
        expected = f'{",".join(columns)}' + (f' ({what})' if what else '')
        raise ISICFileError(path, f'line 1 {",".join(header)!r} is not the expected header: '
                            f'no column {", ".join(missing)}; expected the columns {expected}')
    for line, row in rows:
        if len(row) != len(header):
            raise ISICFileError(path, f'line {line}: {len(row)} fields, but the header has '
                                f'{len(header)}')
    return header, rows
