"""The lesion record: one definition for predictions.csv and per_image.csv."""
import csv
import math

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmskin.evaluation import (ABCD_COLUMNS, LESION_COLUMNS, PER_IMAGE_COLUMNS, LesionRecord,
                               prediction_columns, read_lesion_csv)
from mmskin.evaluation.functional import SEG_METRICS
from mmskin.evaluation.lesion_record import per_image_row
from mmskin.utils import ISICFileError, write_csv_atomic


def _lesion(detected=True):
    mask = torch.zeros(6, 8, dtype=torch.bool)
    mask[1:4, 2:6] = detected
    return BaseDataElement(p_malignant=0.75, pred_label=1, score=0.5 if detected else 0.0,
                           bbox=torch.tensor([2., 1., 6., 4.]) * detected, mask=mask,
                           detected=detected)


def test_the_csv_columns_come_from_the_record():
    assert LESION_COLUMNS[0] == 'image_id' and 'area' in LESION_COLUMNS
    assert PER_IMAGE_COLUMNS == ('image_id', 'gt_label', *LESION_COLUMNS[1:], *SEG_METRICS)


def test_record_of_a_lesion_and_its_cells():
    record = LesionRecord.from_lesion('ISIC_1', _lesion())
    assert record == LesionRecord('ISIC_1', 1, 0.75, 0.5, True, 2.0, 1.0, 6.0, 4.0, 12)
    assert record.cells() == ['ISIC_1', '1', '0.750000', '0.500000', '1', '2.00', '1.00',
                              '6.00', '4.00', '12']
    # the metrics gather records from every rank: as a plain dict too
    assert LesionRecord.from_lesion('ISIC_1', _lesion().to_dict()) == record
    empty = LesionRecord.from_lesion('ISIC_2', _lesion(detected=False))
    assert not empty.detected and empty.area == 0 and empty.cells()[4] == '0'


def test_the_abcd_cells_follow_the_record():
    record = LesionRecord.from_lesion('ISIC_1', _lesion())
    features = {name: 0.1 * k for k, name in enumerate(ABCD_COLUMNS)}
    features.update(n_colours=2.0, diameter_px=123.456789, diameter_mm=math.nan)
    cells = record.cells(features)
    assert len(cells) == len(prediction_columns(abcd=True)) == len(LESION_COLUMNS) + 9
    assert cells[:len(LESION_COLUMNS)] == record.cells()
    abcd = dict(zip(ABCD_COLUMNS, cells[len(LESION_COLUMNS):]))
    assert (abcd['asymmetry_minor'], abcd['n_colours'], abcd['diameter_px'],
            abcd['diameter_mm']) == ('0.1', '2', '123.457', '')


def test_per_image_csv_round_trip(tmp_path):
    path = tmp_path / 'per_image.csv'
    rows = [per_image_row(LesionRecord.from_lesion(f'ISIC_{i}', _lesion(i == 0)), i - 1,
                          [0.5, 0.6, 0.9, 0.7, 1.0]) for i in range(2)]
    write_csv_atomic(path, PER_IMAGE_COLUMNS, rows)
    with open(path, newline='') as f:
        assert next(csv.reader(f)) == list(PER_IMAGE_COLUMNS)
    data = read_lesion_csv(path)
    assert data['image_id'].tolist() == ['ISIC_0', 'ISIC_1']
    np.testing.assert_array_equal(data['gt_label'], [-1, 0])
    np.testing.assert_array_equal(data['area'], [12, 0])
    assert data['JA'].tolist() == [0.5, 0.5]


def test_reading_errors_name_the_file_and_the_problem(tmp_path):
    path = tmp_path / 'p.csv'
    with pytest.raises(ISICFileError, match='p.csv: file not found'):
        read_lesion_csv(path)
    path.write_text('image_id,gt_label\nISIC_0,1\n')
    with pytest.raises(ISICFileError, match="no column pred_label, p_malignant, .*; expected "
                       'the columns image_id,gt_label,pred_label'):
        read_lesion_csv(path)
    path.write_text('image_id,p_malignant\nISIC_0,high\nISIC_1,\n')
    with pytest.raises(ISICFileError, match="line 2: p_malignant = 'high' is not a number"):
        read_lesion_csv(path, ('image_id', 'p_malignant'))
    path.write_text('image_id,p_malignant\nISIC_1,\n')
    assert math.isnan(read_lesion_csv(path, ('image_id', 'p_malignant'))['p_malignant'][0])


@pytest.mark.parametrize('column, cell, problem', [
    ('JA', '1.7', r"JA = '1.7' is not a finite number in \[0.0, 1.0\]"),
    ('DI', '-0.1', r"DI = '-0.1' is not a finite number"),
    ('p_malignant', 'inf', r"p_malignant = 'inf' is not a finite number"),
    ('score', 'nan', r"score = 'nan' is not a finite number"),
    ('gt_label', '2', r"gt_label = '2' is not a finite number in \[-1, 1\]"),
    ('pred_label', '-1', r"pred_label = '-1' is not a finite number in \[0, 1\]"),
    ('detected', '3', r"detected = '3' is not a finite number"),
    ('area', '-4', r"area = '-4' is not a finite number"),
    ('x1', '-inf', r"x1 = '-inf' is not a finite number >= 0.0"),
    ('y1', 'inf', r"y1 = 'inf' is not a finite number >= 0.0"),
])
def test_values_outside_their_domain_name_the_line(tmp_path, column, cell, problem):
    """A per-image JA of 1.7 (a file written by hand or by another program)
    would make every score computed from it nonsense."""
    path = tmp_path / 'per_image.csv'
    record = LesionRecord('ISIC_1', 1, 0.75, 0.9, True, 1.0, 2.0, 5.0, 6.0, 12)
    rows = [per_image_row(record, 1, [0.5, 0.6, 0.9, 0.8, 0.95])] * 2
    rows = [[f'ISIC_{i}', *row[1:]] for i, row in enumerate(rows)]
    rows[1][PER_IMAGE_COLUMNS.index(column)] = cell
    write_csv_atomic(path, PER_IMAGE_COLUMNS, rows)
    read_lesion_csv(path, [c for c in PER_IMAGE_COLUMNS if c != column])
    with pytest.raises(ISICFileError, match=f'per_image.csv: line 3: {problem}'):
        read_lesion_csv(path)
