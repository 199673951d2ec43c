import cv2
import numpy as np
import pytest

from mmskin.evaluation.isic_files import (ISICInputError, index_masks, read_ground_truth_labels,
                                          read_ground_truth_mask, read_prediction_mask,
                                          read_predictions, score_classification_files,
                                          score_segmentation_folders)


def _write(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)
    return path


def _square(value=255, shape=(6, 8)):
    mask = np.zeros(shape, np.uint8)
    mask[1:4, 2:6] = value
    return mask


def test_index_masks_accepts_both_spellings(tmp_path):
    _write(tmp_path / 'ISIC_0000001_Segmentation.png', _square())
    _write(tmp_path / 'ISIC_0000002_segmentation.png', _square())
    (tmp_path / 'ISIC_0000003.jpg').write_bytes(b'')
    (tmp_path / 'ISIC_0000003_superpixels.png').write_bytes(b'')
    masks = index_masks(tmp_path, 'ground-truth')
    assert sorted(masks) == ['ISIC_0000001', 'ISIC_0000002']


def test_index_masks_errors(tmp_path):
    with pytest.raises(ISICInputError, match='does not exist'):
        index_masks(tmp_path / 'nope', 'prediction')
    with pytest.raises(ISICInputError, match='no prediction masks'):
        index_masks(tmp_path, 'prediction')
    _write(tmp_path / 'ISIC_0000001_Segmentation.png', _square())
    _write(tmp_path / 'ISIC_0000001_segmentation.png', _square())
    with pytest.raises(ISICInputError, match='two prediction masks for ISIC_0000001'):
        index_masks(tmp_path, 'prediction')


def test_ground_truth_binarisation(tmp_path):
    assert read_ground_truth_mask(_write(tmp_path / 'a.png', _square(255))).sum() == 12
    # a 0/1 ground truth is corrected as the official scorer does
    assert read_ground_truth_mask(_write(tmp_path / 'b.png', _square(1))).sum() == 12
    grey = _square(255)
    grey[0, 0] = 100
    with pytest.raises(ISICInputError, match=r'c\.png: not a binary mask'):
        read_ground_truth_mask(_write(tmp_path / 'c.png', grey))


def test_prediction_binarisation_and_low_values(tmp_path):
    pred, low = read_prediction_mask(_write(tmp_path / 'p.png', _square(255)), (6, 8))
    assert pred.sum() == 12 and not low
    pred, low = read_prediction_mask(_write(tmp_path / 'q.png', _square(1)), (6, 8))
    assert pred.sum() == 0 and low  # all background to the scorer, flagged
    pred, low = read_prediction_mask(_write(tmp_path / 'r.png', _square(128)), (6, 8))
    assert pred.sum() == 0 and low
    pred, low = read_prediction_mask(_write(tmp_path / 's.png', _square(129)), (6, 8))
    assert pred.sum() == 12 and not low
    with pytest.raises(ISICInputError, match=r'p\.png: mask is 6x8 \(HxW\); expected 8x6'):
        read_prediction_mask(tmp_path / 'p.png', (8, 6))


@pytest.mark.parametrize('image, match', [
    (np.zeros((4, 4, 3), np.uint8), '3 channels'),
    (np.zeros((4, 4), np.uint16), 'uint16'),
])
def test_mask_format_errors(tmp_path, image, match):
    with pytest.raises(ISICInputError, match=match):
        read_ground_truth_mask(_write(tmp_path / 'm.png', image))


def test_undecodable_mask(tmp_path):
    path = tmp_path / 'ISIC_0000001_segmentation.png'
    path.write_bytes(b'\x89PNG truncated')
    with pytest.raises(ISICInputError, match='cannot be decoded'):
        read_ground_truth_mask(path)


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
    ('', 'empty CSV'),
    ('ISIC_0000000,melanoma\n', r"line 1: unknown label 'melanoma'"),
    ('ISIC_0000000,benign\nISIC_0000000,benign\n', 'line 2: image ISIC_0000000 appears twice'),
    ('ISIC_0000000\n', 'line 1: 1 fields'),
    (',benign\n', 'line 1: no image id'),
    ('image_id,nevus\nISIC_0000000,1\n', "no 'melanoma' column"),
    ('ISIC_0000000,0.5\n', 'unknown label'),
])
def test_ground_truth_label_errors(tmp_path, text, match):
    path = tmp_path / 'gt.csv'
    path.write_text(text)
    with pytest.raises(ISICInputError, match=match) as error:
        read_ground_truth_labels(path)
    assert str(path) in str(error.value)


def test_predictions_with_and_without_header(tmp_path):
    with_header = tmp_path / 'a.csv'
    with_header.write_text('image_id,melanoma,seborrheic_keratosis\nISIC_0000000,0.25,0.1\n')
    without = tmp_path / 'b.csv'
    without.write_text('ISIC_0000000,0.25\n')
    assert read_predictions(with_header) == read_predictions(without) == {'ISIC_0000000': 0.25}
    bad = tmp_path / 'c.csv'
    for value in ('1.5', 'nan', 'high'):
        bad.write_text(f'ISIC_0000000,{value}\n')
        with pytest.raises(ISICInputError, match=r'c\.csv, line 1: melanoma probability'):
            read_predictions(bad)


def test_score_segmentation_folders(tmp_path):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    _write(gt_dir / 'ISIC_0000001_Segmentation.png', _square())
    _write(gt_dir / 'ISIC_0000002_Segmentation.png', _square())
    _write(pred_dir / 'ISIC_0000001_segmentation.png', _square())
    _write(pred_dir / 'ISIC_0000009_segmentation.png', _square())
    with pytest.raises(ISICInputError, match=r'no prediction for 1 .*ISIC_0000002.*allow-missing'):
        score_segmentation_folders(pred_dir, gt_dir)
    report = score_segmentation_folders(pred_dir, gt_dir, allow_missing=True)
    assert report.n == 2 and report.missing == ['ISIC_0000002']
    assert report.extra == ['ISIC_0000009']
    assert report.summary['JA'] == pytest.approx(0.5)  # 1 and (missing = empty) 0


def test_score_classification_files(tmp_path):
    gt = tmp_path / 'gt.csv'
    gt.write_text('ISIC_0000000,benign\nISIC_0000001,malignant\nISIC_0000002,benign\n')
    pred = tmp_path / 'pred.csv'
    pred.write_text('image_id,melanoma\nISIC_0000000,0.2\nISIC_0000001,0.9\n')
    with pytest.raises(ISICInputError, match='ISIC_0000002'):
        score_classification_files(pred, gt)
    report = score_classification_files(pred, gt, allow_missing=True)
    assert report.n == 3 and report.missing == ['ISIC_0000002']
    assert report.summary['AC'] == 1.0 and report.summary['AUC'] == 1.0
