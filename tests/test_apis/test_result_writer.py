"""LesionResultWriter: an image's mask, overlay and CSV row appear together
or not at all; earlier rows are kept, re-processed ones replaced."""
import csv

import cv2
import numpy as np
import pytest

from mmskin.apis import LesionPrediction, LesionResultWriter
from mmskin.apis import result_writer
from mmskin.evaluation import ABCD_COLUMNS, LESION_COLUMNS, prediction_columns, read_lesion_csv
from mmskin.utils import ISICFileError
from mmskin.visualization import draw_saliency


def _prediction(p_malignant: float, h: int = 20, w: int = 30) -> LesionPrediction:
    mask = np.zeros((h, w), bool)
    mask[5:15, 8:20] = True
    return LesionPrediction(p_malignant=p_malignant, pred_label=int(p_malignant > 0.5), score=0.9,
                            bbox=np.array([8, 5, 20, 15], np.float32), mask=mask, detected=True)


def _image(h: int = 20, w: int = 30) -> np.ndarray:
    return np.full((h, w, 3), 180, np.uint8)


def _rows(out):
    with open(out / 'predictions.csv', newline='') as f:
        return {row['image_id']: row for row in csv.DictReader(f)}


def _files(out):
    return sorted(str(p.relative_to(out)) for p in out.rglob('*') if p.is_file())


def test_earlier_rows_are_kept_and_reprocessed_rows_replaced(tmp_path):
    with LesionResultWriter(tmp_path) as writer:
        writer.write('a.jpg', _image(), _prediction(0.2))
        writer.write('b.jpg', _image(), _prediction(0.3))
    with LesionResultWriter(tmp_path) as writer:  # a second run: b again, c new
        writer.write('b.png', _image(), _prediction(0.7))
        writer.write('c.jpg', _image(), _prediction(0.4))
    rows = _rows(tmp_path)
    assert list(rows) == ['a', 'b', 'c']
    assert [rows[i]['p_malignant'] for i in 'abc'] == ['0.200000', '0.700000', '0.400000']
    with LesionResultWriter(tmp_path):  # a run in which nothing succeeds
        pass
    assert list(_rows(tmp_path)) == ['a', 'b', 'c']
    assert _files(tmp_path) == [
        'masks/a_segmentation.png', 'masks/b_segmentation.png', 'masks/c_segmentation.png',
        'overlays/a.jpg', 'overlays/b.jpg', 'overlays/c.jpg', 'predictions.csv']


@pytest.mark.parametrize('step', ['pending', 'journal', 'commit', 'finish'])
def test_a_run_killed_at_any_step_is_finished_or_undone(tmp_path, monkeypatch, step):
    """The process dies (nothing runs after it) at each step of writing
    image b, which an earlier run had written with p 0.3; the next writer
    sees image b whole: the earlier outputs (killed before the commit) or
    the new ones (after it)."""
    with LesionResultWriter(tmp_path) as writer:
        writer.write('a.jpg', _image(), _prediction(0.2))
        writer.write('b.jpg', _image(), _prediction(0.3))
    old_overlay = (tmp_path / 'overlays' / 'b.jpg').read_bytes()

    class Killed(BaseException):
        pass

    def die(*args, **kwargs):
        raise Killed

    target = dict(pending=(result_writer, 'write_bytes_atomic'),
                  journal=(result_writer, 'dump_json_atomic'),
                  commit=(result_writer, 'write_csv_atomic'),
                  finish=(LesionResultWriter, '_finish'))[step]
    writer = LesionResultWriter(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(*target, die)
        with pytest.raises(Killed):
            writer.write('b.jpg', _image(), _prediction(0.9))
    # kill -9: close() never ran; the next writer repairs the folder.
    LesionResultWriter(tmp_path).close()
    rows = _rows(tmp_path)
    committed = step == 'finish'
    assert rows['b']['p_malignant'] == ('0.900000' if committed else '0.300000')
    assert ((tmp_path / 'overlays' / 'b.jpg').read_bytes() == old_overlay) != committed
    assert _files(tmp_path) == [
        'masks/a_segmentation.png', 'masks/b_segmentation.png', 'overlays/a.jpg',
        'overlays/b.jpg', 'predictions.csv']


def test_an_interrupted_write_is_undone_on_close(tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(result_writer, 'write_csv_atomic', lambda *a: (_ for _ in ()).throw(
            KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt), LesionResultWriter(tmp_path) as writer:
            writer.write('a.jpg', _image(), _prediction(0.2))
    assert _files(tmp_path) == []


def test_a_journal_cut_short_means_nothing_was_committed(tmp_path):
    with LesionResultWriter(tmp_path) as writer:
        writer.write('a.jpg', _image(), _prediction(0.2))
    (tmp_path / 'masks' / '.b_segmentation.png.pending').write_bytes(b'x')
    (tmp_path / result_writer.JOURNAL_NAME).write_text('{"image_id": "b", "ro')
    (tmp_path / 'overlays' / '.b.jpg.pending.a1b2.tmp').write_bytes(b'x')
    LesionResultWriter(tmp_path).close()
    assert _files(tmp_path) == ['masks/a_segmentation.png', 'overlays/a.jpg', 'predictions.csv']


def test_a_foreign_predictions_csv_is_not_overwritten(tmp_path):
    (tmp_path / 'predictions.csv').write_text('image,probability\nx,0.5\n')
    with pytest.raises(ISICFileError, match="predictions.csv: line 1 'image,probability' is "
                       'not the header of a predictions.csv'):
        LesionResultWriter(tmp_path)
    assert (tmp_path / 'predictions.csv').read_text() == 'image,probability\nx,0.5\n'


@pytest.mark.parametrize('data, problem', [
    (lambda row: (row.replace('earlier', 'earlier_é') + '\r\n').encode('latin-1'),
     'line 2: byte 0xe9 is not UTF-8'),
    (lambda row: row.replace(',0.250000,', ',7.5,').encode(), "line 2: p_malignant = '7.5' is "
     'not a finite number'),
    (lambda row: row.rsplit(',', 1)[0].encode(), 'line 2: 9 fields, but the header has 10'),
])
def test_an_earlier_predictions_csv_that_cannot_be_kept_is_named(tmp_path, data, problem):
    """Rows of an earlier run are kept as they are: a row this writer could
    not have written is an error naming the line, never dropped."""
    row = 'earlier,0,0.250000,0.900000,1,1.00,2.00,3.00,4.00,5'
    content = (','.join(LESION_COLUMNS) + '\n').encode() + data(row)
    (tmp_path / 'predictions.csv').write_bytes(content)
    with pytest.raises(ISICFileError, match=f'predictions.csv: {problem}'):
        LesionResultWriter(tmp_path)
    assert (tmp_path / 'predictions.csv').read_bytes() == content


def test_the_csv_has_the_lesion_columns(tmp_path):
    with LesionResultWriter(tmp_path) as writer:
        writer.write('a.jpg', _image(), _prediction(0.2))
    header = (tmp_path / 'predictions.csv').read_text().splitlines()[0]
    assert tuple(header.split(',')) == LESION_COLUMNS
    assert not (tmp_path / result_writer.JOURNAL_NAME).exists()


def test_abcd_columns_are_kept_once_written_and_read_either_way(tmp_path):
    """Rows without features get empty cells where a file has the ABCD
    columns, and both kinds of file read back through read_lesion_csv."""
    features = dict.fromkeys(ABCD_COLUMNS, 0.5)
    features['diameter_mm'] = float('nan')
    with LesionResultWriter(tmp_path) as writer:  # an earlier run without --abcd
        writer.write('a.jpg', _image(), _prediction(0.2))
    plain = read_lesion_csv(tmp_path / 'predictions.csv', LESION_COLUMNS)
    assert list(plain['image_id']) == ['a']
    with LesionResultWriter(tmp_path, abcd=True) as writer:
        writer.write('b.jpg', _image(), _prediction(0.3), features=features)
    with LesionResultWriter(tmp_path) as writer:  # without --abcd again: the columns stay
        writer.write('c.jpg', _image(), _prediction(0.4))
    header = (tmp_path / 'predictions.csv').read_text().splitlines()[0]
    assert tuple(header.split(',')) == prediction_columns(abcd=True)
    rows = _rows(tmp_path)
    assert rows['b']['compactness'] == '0.5' and rows['b']['diameter_mm'] == ''
    assert rows['a']['compactness'] == rows['c']['compactness'] == ''
    columns = read_lesion_csv(tmp_path / 'predictions.csv', prediction_columns(abcd=True))
    assert list(columns['p_malignant']) == [0.2, 0.3, 0.4]
    assert np.isnan(columns['compactness'][[0, 2]]).all() and columns['compactness'][1] == 0.5


def test_a_saliency_map_goes_with_its_row(tmp_path, monkeypatch):
    """The map is written with its image's outputs; an image written again
    without one loses the earlier map, also when killed after the commit."""
    cam = np.zeros((20, 30), np.float32)
    cam[:, 15:] = 1.0
    with LesionResultWriter(tmp_path) as writer:
        writer.write('a.jpg', _image(), _prediction(0.2), cam=cam)
        writer.write('b.jpg', _image(), _prediction(0.3), cam=cam)
    drawn = cv2.imread(str(tmp_path / 'cams' / 'a.jpg'))
    expected = draw_saliency(_image(), cam)
    for side in (np.s_[:, :10], np.s_[:, 20:]):  # away from the edge JPEG blurs
        np.testing.assert_allclose(drawn[side], expected[side], atol=8)

    with LesionResultWriter(tmp_path) as writer:
        writer.write('a.jpg', _image(), _prediction(0.6))
    with monkeypatch.context() as patch:
        patch.setattr(LesionResultWriter, '_finish', lambda *args: None)  # killed there
        LesionResultWriter(tmp_path).write('b.jpg', _image(), _prediction(0.7))
    LesionResultWriter(tmp_path).close()
    assert _files(tmp_path) == [
        'masks/a_segmentation.png', 'masks/b_segmentation.png', 'overlays/a.jpg',
        'overlays/b.jpg', 'predictions.csv']
    assert _rows(tmp_path)['b']['p_malignant'] == '0.700000'
