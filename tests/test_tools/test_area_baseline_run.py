"""area_baseline.py --run: a test run's p_malignant against the lesion area (DeLong)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmskin.analysis.area_baseline import lesion_area_table, run_against_area
from mmskin.evaluation.statistics import delong_test
from mmskin.utils import ISICFileError

from ..test_analysis.test_area_baseline import IMAGES, _write_coco
from .conftest import write_per_image_csv

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'area_baseline.py'
# a run that ranks one benign lesion above a melanoma (AUC 5/6); the areas rank all (AUC 1)
P_RUN = {'ISIC_0000001': 0.2, 'ISIC_0000002': 0.9, 'ISIC_0000003': 0.4, 'ISIC_0000004': 0.3,
         'ISIC_0000005': 0.1}


def _run_csv(path, ids):
    labels = [IMAGES[int(i[-1]) - 1][3] for i in ids]
    return write_per_image_csv(path, ids, labels, [P_RUN[i] for i in ids], [0.8] * len(ids))


def test_run_is_paired_with_the_area_by_image_id(tmp_path):
    ann = _write_coco(tmp_path / 'a.json')
    # rows in another order than the COCO file's images
    ids = ['ISIC_0000004', 'ISIC_0000002', 'ISIC_0000005', 'ISIC_0000001', 'ISIC_0000003']
    comparison, n = run_against_area(ann, _run_csv(tmp_path / 'per_image.csv', ids))
    table = lesion_area_table(ann)
    assert table['image_id'].tolist() == sorted(ids)
    expected = delong_test(table['gt_label'], table['p_malignant'],
                           [P_RUN[i] for i in table['image_id']])
    assert n == 5
    assert comparison.auc_a == pytest.approx(expected.auc_a)
    assert comparison.auc_b == pytest.approx(expected.auc_b) == pytest.approx(5 / 6)
    assert comparison.auc_a == pytest.approx(1.0)
    assert comparison.difference == pytest.approx(expected.difference)
    assert comparison.p_value == pytest.approx(expected.p_value)


def test_run_on_other_images_is_refused_by_name(tmp_path):
    ann = _write_coco(tmp_path / 'a.json')
    run = _run_csv(tmp_path / 'per_image.csv', ['ISIC_0000001', 'ISIC_0000002'])
    with pytest.raises(ISICFileError, match=r'per_image.csv.*3 only in A'):
        run_against_area(ann, run)


def test_run_without_p_malignant_is_refused(tmp_path):
    ann = _write_coco(tmp_path / 'a.json')
    ids = [f'ISIC_{i:07d}' for i in range(1, 6)]
    labels = [m for *_, m in IMAGES]
    run = write_per_image_csv(tmp_path / 'per_image.csv', ids, labels,
                              [0.2, float('nan'), 0.4, 0.3, 0.1], [0.8] * 5)
    with pytest.raises(ISICFileError, match=r'no p_malignant on 1 images \(e.g. ISIC_0000002\)'):
        run_against_area(ann, run)


def test_command_line_prints_the_paired_comparison(tmp_path):
    ann = _write_coco(tmp_path / 'a.json')
    run = _run_csv(tmp_path / 'per_image.csv', [f'ISIC_{i:07d}' for i in range(1, 6)])
    before = run.read_bytes()
    done = subprocess.run([sys.executable, str(TOOL), str(ann), '--run', str(run), '--json'],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert ('Run against the lesion-area baseline on 5 images: AUC 0.8333 (area 1.0000), '
            'difference -0.1667') in done.stdout
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    assert scores['run_AUC'] == pytest.approx(5 / 6)
    assert scores['run_minus_area_AUC'] == pytest.approx(scores['run_AUC'] - scores['AUC'])
    assert 0.0 <= scores['delong_p'] <= 1.0
    assert run.read_bytes() == before
    missing = subprocess.run([sys.executable, str(TOOL), str(ann), '--run',
                              str(tmp_path / 'nope.csv')],
                             capture_output=True, text=True, timeout=60, cwd=REPO)
    assert missing.returncode != 0 and 'Traceback' not in missing.stderr
    assert 'nope.csv' in missing.stderr
