import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from mmskin.evaluation.intervals import classification_intervals

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'isic_score.py'


@pytest.fixture(scope='module')
def real_gt_dir(shared_data):
    return shared_data / 'isic_samples' / 'ISBI2016_ISIC_Part1_Training_GroundTruth'


@pytest.fixture(scope='module')
def real_gt_csv(shared_data):
    return shared_data / 'isic_samples' / 'ISBI2016_ISIC_Part3_Training_GroundTruth.csv'


@pytest.fixture(scope='module')
def isic_score(load_tool):
    return load_tool('tools/analysis/isic_score.py')


def _last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def test_real_ground_truth_against_itself_from_the_command_line(real_gt_dir):
    """The script runs as documented; each real mask scored against itself is perfect."""
    result = subprocess.run([sys.executable, str(TOOL), 'seg', str(real_gt_dir), str(real_gt_dir),
                             '--json'], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    scores = _last_json(result.stdout)
    # each score with its 95% interval, all 1.0
    names = ('JA', 'DI', 'AC', 'SE', 'SP', 'TJA')
    assert scores == dict({f'{n}{end}': 1.0 for n in names for end in ('', '_lo', '_hi')}, n=40)


def test_real_masks_against_a_shifted_copy(real_gt_dir, isic_score, tmp_path, capsys):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    expected_ja = []
    for path in sorted(real_gt_dir.iterdir())[:3]:
        shutil.copy(path, gt_dir / path.name)
        gt = cv2.imread(str(path), cv2.IMREAD_UNCHANGED) > 128
        shifted = np.zeros_like(gt)
        shifted[:, 40:] = gt[:, :-40]
        image_id = path.name.split('_Segmentation')[0]
        cv2.imwrite(str(pred_dir / f'{image_id}_segmentation.png'), shifted.astype(np.uint8) * 255)
        expected_ja.append((gt & shifted).sum() / (gt | shifted).sum())
    assert isic_score.main(['seg', str(pred_dir), str(gt_dir), '--json']) == 0
    scores = _last_json(capsys.readouterr().out)
    assert scores['n'] == 3
    assert scores['JA'] == pytest.approx(np.mean(expected_ja), abs=1e-12)
    assert 0.5 < scores['JA'] < 1.0


def test_zero_one_predictions_get_a_loud_warning(isic_score, tmp_path, capsys):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    mask = np.zeros((10, 12), np.uint8)
    mask[2:7, 3:9] = 255
    cv2.imwrite(str(gt_dir / 'ISIC_0000001_segmentation.png'), mask)
    cv2.imwrite(str(pred_dir / 'ISIC_0000001_Segmentation.png'), mask // 255)
    assert isic_score.main(['seg', str(pred_dir), str(gt_dir), '--json']) == 0
    captured = capsys.readouterr()
    assert 'WARNING' in captured.err and 'ISIC_0000001_Segmentation.png' in captured.err
    assert '0/255' in captured.err
    assert _last_json(captured.out)['JA'] == 0.0


def test_missing_predictions_error_or_allowed(isic_score, tmp_path, capsys):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    mask = np.zeros((10, 12), np.uint8)
    mask[2:7, 3:9] = 255
    for i in (1, 2):
        cv2.imwrite(str(gt_dir / f'ISIC_000000{i}_Segmentation.png'), mask)
    cv2.imwrite(str(pred_dir / 'ISIC_0000001_segmentation.png'), mask)
    cv2.imwrite(str(pred_dir / 'ISIC_0000005_segmentation.png'), mask)
    assert isic_score.main(['seg', str(pred_dir), str(gt_dir)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f'error: {pred_dir}') and 'ISIC_0000002' in err
    assert isic_score.main(['seg', str(pred_dir), str(gt_dir), '--allow-missing', '--json',
                            '--ci', 'none']) == 0
    captured = capsys.readouterr()
    assert 'ISIC_0000002' in captured.err and 'ISIC_0000005' in captured.err
    assert _last_json(captured.out) == {'JA': 0.5, 'DI': 0.5, 'AC': pytest.approx(0.875),
                                        'SE': 0.5, 'SP': 1.0, 'TJA': 0.5, 'n': 2}


@pytest.mark.parametrize('positive', ['malignant', 'benign'])
def test_classification_on_the_real_label_file(real_gt_csv, isic_score, tmp_path, capsys, positive):
    rows = [line.split(',') for line in real_gt_csv.read_text().split()]
    labels = np.array([label == 'malignant' for _, label in rows])
    rng = np.random.default_rng(0)
    p = np.clip(labels * 0.5 + rng.random(len(rows)) * 0.6, 0, 1).round(4)
    pred_csv = tmp_path / 'pred.csv'
    pred_csv.write_text('image_id,melanoma\n' +
                        ''.join(f'{image_id},{pi}\n' for (image_id, _), pi in zip(rows, p)))
    assert isic_score.main(['cls', str(pred_csv), str(real_gt_csv), '--positive', positive,
                            '--json']) == 0
    scores = _last_json(capsys.readouterr().out)
    names = ('AC', 'AUC', 'AP', 'SE', 'SP')
    assert set(scores) == {f'{n}{end}' for n in names for end in ('', '_lo', '_hi')} | {'n'}
    assert scores['n'] == 40
    intervals = classification_intervals(labels.astype(int), p, positive)
    for name in names:
        assert (scores[f'{name}_lo'], scores[f'{name}_hi']) == pytest.approx(intervals[name])
        assert scores[f'{name}_lo'] <= scores[name] <= scores[f'{name}_hi']
    y_true, y_score = (labels, p) if positive == 'malignant' else (~labels, 1 - p)
    assert scores['AUC'] == pytest.approx(roc_auc_score(y_true, y_score), abs=1e-12)
    assert scores['AP'] == pytest.approx(average_precision_score(y_true, y_score), abs=1e-12)
    called = y_score > 0.5
    assert scores['SE'] == pytest.approx((called & y_true).sum() / y_true.sum())
    assert scores['SP'] == pytest.approx((~called & ~y_true).sum() / (~y_true).sum())


def test_single_class_prints_null(isic_score, tmp_path, capsys):
    gt = tmp_path / 'gt.csv'
    gt.write_text('image_id,melanoma,seborrheic_keratosis\nISIC_0000001,0.0,0.0\n')
    pred = tmp_path / 'pred.csv'
    pred.write_text('ISIC_0000001,0.3\n')
    assert isic_score.main(['cls', str(pred), str(gt), '--json']) == 0
    scores = _last_json(capsys.readouterr().out)
    assert scores['AUC'] is None and scores['AP'] is None and scores['AC'] == 1.0


def test_bad_csv_is_one_line_naming_the_file(real_gt_csv, isic_score, tmp_path, capsys):
    pred = tmp_path / 'pred.csv'
    pred.write_text('ISIC_0000011,0.3\nISIC_0000019,abc\n')
    assert isic_score.main(['cls', str(pred), str(real_gt_csv)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {pred}: line 2: melanoma probability 'abc' of ISIC_0000019 is not "
                   'a number in [0, 1]')
