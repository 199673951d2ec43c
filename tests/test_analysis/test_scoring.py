"""Scoring files as the official ISIC scorer: prediction CSVs, mask folders."""
import pytest

from mmskin.analysis.scoring import (read_predictions, score_classification_files,
                                     score_segmentation_folders)
from mmskin.utils import ISICFileError


def test_predictions_with_and_without_header(tmp_path):
    with_header = tmp_path / 'a.csv'
    with_header.write_text('image_id,melanoma,seborrheic_keratosis\nISIC_0000000,0.25,0.1\n')
    without = tmp_path / 'b.csv'
    without.write_text('ISIC_0000000,0.25\n')
    assert read_predictions(with_header) == read_predictions(without) == {'ISIC_0000000': 0.25}
    bad = tmp_path / 'c.csv'
    for value in ('1.5', 'nan', 'inf', '-0.1'):
        bad.write_text(f'ISIC_0000000,{value}\n')
        with pytest.raises(ISICFileError, match=r'c\.csv: line 1: melanoma probability'):
            read_predictions(bad)
    # a first row that is not a row is a header, and must name the columns
    for first in ('ISIC_0000000,high', 'image,prob'):
        bad.write_text(f'{first}\nISIC_0000000,0.5\n')
        with pytest.raises(ISICFileError, match=f"c\\.csv: line 1 '{first}' is neither the "
                           'header image_id,melanoma nor a row'):
            read_predictions(bad)


def test_score_segmentation_folders(tmp_path, write_image, square_mask):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    write_image(gt_dir / 'ISIC_0000001_Segmentation.png', square_mask())
    write_image(gt_dir / 'ISIC_0000002_Segmentation.png', square_mask())
    write_image(pred_dir / 'ISIC_0000001_segmentation.png', square_mask())
    write_image(pred_dir / 'ISIC_0000009_segmentation.png', square_mask())
    with pytest.raises(ISICFileError, match=r'no prediction for 1 .*ISIC_0000002.*allow-missing'):
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
    with pytest.raises(ISICFileError, match='ISIC_0000002'):
        score_classification_files(pred, gt)
    report = score_classification_files(pred, gt, allow_missing=True)
    assert report.n == 3 and report.missing == ['ISIC_0000002']
    assert report.summary['AC'] == 1.0 and report.summary['AUC'] == 1.0


def test_ground_truth_is_binarised_as_the_scorer_does(tmp_path, write_image, square_mask):
    """A ground-truth mask with JPEG-like noise scores as the official scorer
    scores it: lesion where the value is > 128."""
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    noisy = square_mask()
    noisy[0, 0], noisy[1, 2], noisy[5, 7] = 100, 200, 129
    write_image(gt_dir / 'ISIC_0000001_segmentation.png', noisy)
    write_image(pred_dir / 'ISIC_0000001_segmentation.png', square_mask())
    report = score_segmentation_folders(pred_dir, gt_dir)
    assert report.summary['JA'] == pytest.approx(12 / 13)  # (5, 7) is lesion, (0, 0) is not
