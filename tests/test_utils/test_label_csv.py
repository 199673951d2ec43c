"""Reading labels from every CSV form they come in."""
import pytest

from mmskin.utils import ISICFileError, read_label_csv


def read_ground_truth_labels(path):
    return read_label_csv(path).check()


def test_ground_truth_label_formats(tmp_path):
    isbi_train = tmp_path / 'train.csv'
    isbi_train.write_text('ISIC_0000000,benign\nISIC_0000001,malignant\n')
    isbi_test = tmp_path / 'test.csv'
    isbi_test.write_text('ISIC_0000000,0.0\r\nISIC_0000001,1.0\r\n\r\n')
    isic2017 = tmp_path / '2017.csv'
    isic2017.write_text('image_id,melanoma,seborrheic_keratosis\n'
                        'ISIC_0000000,0.0,1.0\nISIC_0000001,1.0,0.0\n')
    for path in (isbi_train, isbi_test, isic2017):
        assert read_ground_truth_labels(path) == {'ISIC_0000000': 0, 'ISIC_0000001': 1}


@pytest.mark.parametrize('text, match', [
    ('', 'CSV file has no rows'),
    ('ISIC_0000000,naevus\n', r"line 1: unknown row 'ISIC_0000000,naevus': neither a header"),
    ('id,prob\nISIC_0000000,1\n', r"line 1: unknown row 'id,prob': neither a header "
     r'naming an id column \(isic_id, image_id, image, name\) and a label column'),
    ('image,prob\nISIC_0000000,1\n', r"header 'image,prob' has no column 'benign_malignant'"),
    ('ISIC_0000000,benign\nISIC_0000000,benign\n', 'line 2: image ISIC_0000000 appears twice'),
    ('ISIC_0000000,benign\nISIC_0000001\n', "line 2: unknown row 'ISIC_0000001'"),
    ('ISIC_0000000,benign\n,benign\n', 'line 2: no image id'),
    ('image_id,nevus\nISIC_0000000,1\n', "no column 'benign_malignant' .*'melanoma'"),
    ('ISIC_0000000,0.0\nISIC_0000001,0.5\n', 'line 2: unknown row'),
    ('image_id,melanoma\nISIC_0000000,0.5\n', "line 2: unknown melanoma value '0.5'"),
])
def test_ground_truth_label_errors(tmp_path, text, match):
    path = tmp_path / 'gt.csv'
    path.write_text(text)
    with pytest.raises(ISICFileError, match=match) as error:
        read_ground_truth_labels(path)
    assert str(path) in str(error.value)


def test_archive_one_hot_and_malignant_forms(tmp_path):
    archive = tmp_path / 'archive.csv'
    archive.write_text('name,age,benign_malignant\nA,40,benign\nB,50,malignant\n'
                       'C,60,indeterminate/benign\nD,70,\n')
    table = read_label_csv(archive)
    assert table.labels == {'A': 0, 'B': 1} and table.dropped == {'C', 'D'}
    one_hot = tmp_path / 'task3.csv'
    one_hot.write_text('image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n'
                       'A,1.0,0.0,0.0,0.0,0.0,0.0,0.0\nB,0.0,0.0,1.0,0.0,0.0,0.0,0.0\n'
                       'C,0.0,1.0,0.0,0.0,0.0,0.0,0.0\n')
    assert read_label_csv(one_hot).check() == {'A': 1, 'B': 0, 'C': 0}
    # which diagnoses count as malignant is the caller's choice
    assert read_label_csv(one_hot, malignant_diagnoses=('MEL', 'BCC')).check() == \
        {'A': 1, 'B': 1, 'C': 0}
    malignant = tmp_path / 'own.csv'
    malignant.write_text('image_id,malignant\nA,1\nB,0\n')
    assert read_label_csv(malignant).check() == {'A': 1, 'B': 0}


@pytest.mark.parametrize('row, problem', [
    ('A,1.0,1.0,0.0', r'line 3: A has 2 diagnoses \(MEL, NV\); a one-hot row has exactly one 1 '
     'among MEL,NV,BCC'),
    ('A,0.0,0.0,0.0', r'line 3: A has 0 diagnoses \(none\)'),
    ('A,0,2,0', "line 3: NV value '2' of A is not 0 or 1"),
    ('A,yes,0,0', "line 3: MEL value 'yes' of A is not 0 or 1"),
    ('A,1,0', "line 3: BCC value '' of A is not 0 or 1"),
])
def test_a_row_that_is_not_one_hot_is_never_a_guess(tmp_path, row, problem):
    """Two diagnoses, none, or a value other than 0/1 (0.0/1.0): an error
    naming the file and the line, not malignant or benign."""
    path = tmp_path / 'task3.csv'
    path.write_text(f'image,MEL,NV,BCC\nB,0,1,0\n{row}\n')
    table = read_label_csv(path)
    assert table.labels == {'B': 0}
    with pytest.raises(ISICFileError, match=f'{path}: {problem}'):
        table.check()


def test_an_id_that_is_a_path_is_a_row_problem(tmp_path):
    """Ids become output file names: one that would leave the folder is refused."""
    path = tmp_path / 'labels.csv'
    path.write_text('image_id,melanoma\nISIC_0000000,0\n../../etc/evil,1\n')
    table = read_label_csv(path)
    assert table.labels == {'ISIC_0000000': 0}
    with pytest.raises(ISICFileError, match=r"labels.csv: line 3: image id '../../etc/evil' "
                       'cannot name a file'):
        table.check()
