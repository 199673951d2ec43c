"""Text and CSV files from other programs: one reader, errors naming the line."""
import pytest

from mmskin.utils import ISICFileError, read_csv_rows, read_csv_table, read_id_list

ROWS = [(1, ['image_id', 'melanoma']), (2, ['ISIC_0000000', '0.0']), (4, ['ISIC_0000001', '1'])]


@pytest.mark.parametrize('encode', [
    lambda text: text.encode(),
    lambda text: text.encode('utf-8-sig'),
    lambda text: text.replace('\n', '\r\n').encode('utf-8-sig'),
    lambda text: text.replace('\n', '\r\n').encode(),
], ids=('utf8', 'bom', 'bom-crlf', 'crlf'))
def test_utf8_with_or_without_bom_lf_or_crlf(tmp_path, encode):
    path = tmp_path / 'labels.csv'
    path.write_bytes(encode('image_id,melanoma\nISIC_0000000, 0.0\n\nISIC_0000001,1\n'))
    assert read_csv_rows(path) == ROWS


@pytest.mark.parametrize('data, problem', [
    ('image_id,melanoma\r\nISIC_0000000,0\r\nISIC_é,1\r\n'.encode('latin-1'),
     r'line 3: byte 0xe9 is not UTF-8 text; save the file as UTF-8'),
    (b'image_id,melanoma\n' + bytes(range(256)), r'line 2: binary data \(a NUL byte\)'),
    (b'\xff\xd8\xff\xe0 a JPEG', 'line 1: byte 0xff is not UTF-8'),
    (b'', 'CSV file has no rows'),
])
def test_what_cannot_be_read_names_file_and_line(tmp_path, data, problem):
    path = tmp_path / 'labels.csv'
    path.write_bytes(data)
    with pytest.raises(ISICFileError, match=f'{path}: {problem}'):
        read_csv_rows(path)


def test_a_header_of_other_columns_is_never_a_data_row(tmp_path):
    path = tmp_path / 'per_image.csv'
    path.write_text('image,prob\nISIC_0000000,0.5\n')
    with pytest.raises(ISICFileError, match=r"line 1 'image,prob' is not the expected header: "
                       'no column image_id, p_malignant; expected the columns '
                       r'image_id,p_malignant \(a test run\)'):
        read_csv_table(path, ('image_id', 'p_malignant'), 'a test run')
    path.write_text('p_malignant,image_id,extra\n0.5,ISIC_0000000,x\n0.5,ISIC_0000001\n')
    with pytest.raises(ISICFileError, match='line 3: 2 fields, but the header has 3'):
        read_csv_table(path, ('image_id', 'p_malignant'))


def test_id_lists_are_read_by_the_same_rule(tmp_path):
    path = tmp_path / 'split.txt'
    path.write_bytes('\ufeffISIC_0000000\r\n\r\nISIC_0000001\r\n'.encode())
    assert read_id_list(path) == ['ISIC_0000000', 'ISIC_0000001']
    path.write_bytes('ISIC_0000000\nISIC_é\n'.encode('latin-1'))
    with pytest.raises(ISICFileError, match='split.txt: line 2: byte 0xe9 is not UTF-8'):
        read_id_list(path)
