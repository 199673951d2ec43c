"""``--tta`` and the operating point through the tools: fitted on one run by
``tools/analysis/operating_point.py``, reported by ``tools/test.py
--operating-point``, labelling by ``tools/infer.py --threshold``."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmskin.analysis.operating_point import fit_operating_point, write_operating_point
from mmskin.evaluation import read_per_image
from .conftest import write_per_image_csv

REPO = Path(__file__).resolve().parents[2]


def _rows(out_dir):
    with open(out_dir / 'predictions.csv', newline='') as f:
        return list(csv.DictReader(f))


def _point(tmp_path, threshold):
    point = fit_operating_point(
        dict(gt_label=np.array([0, 0, 1, 1]), p_malignant=np.array([0.1, 0.4, 0.3, 0.8])),
        source='calib/per_image.csv')
    point['threshold'] = threshold
    path = tmp_path / 'operating_point.json'
    write_operating_point(path, point)
    return path


def test_operating_point_tool_writes_the_file_beside_the_run(load_tool, tmp_path, capsys):
    run = tmp_path / 'calib'
    run.mkdir()
    p = [0.9, 0.35, 0.3, 0.2, 0.6, 0.1, 0.05, 0.25]
    write_per_image_csv(run / 'per_image.csv', [f'ISIC_{i:07d}' for i in range(8)],
                        [1, 1, 1, 1, 0, 0, 0, 0], p, [0.8] * 8)
    assert load_tool('tools/analysis/operating_point.py').main([str(run)]) == 0
    point = json.loads((run / 'operating_point.json').read_text())
    # sens90 of 4 melanoma calls all four: halfway below the lowest, 0.2.
    assert point['threshold'] == pytest.approx(0.15)
    assert (point['rule'], point['n'], point['n_malignant']) == ('sens90', 8, 4)
    assert point['calibration_SE'] == 1.0 and point['calibration_SP'] == 0.5
    assert point['source'] == str(run / 'per_image.csv')
    assert 'threshold 0.1500, SE 1.000, SP 0.500' in capsys.readouterr().out


def test_operating_point_tool_names_the_file_it_cannot_use(load_tool, tmp_path, capsys):
    run = tmp_path / 'benign_only'
    run.mkdir()
    write_per_image_csv(run / 'per_image.csv', ['a', 'b'], [0, 0], [0.2, 0.4], [0.8, 0.8])
    assert load_tool('tools/analysis/operating_point.py').main([str(run)]) == 1
    assert f'error: {run / "per_image.csv"}: ' in capsys.readouterr().err
    assert not (run / 'operating_point.json').exists()


def test_operating_point_tool_refuses_an_unknown_rule_first(load_tool, tmp_path, capsys):
    tool = load_tool('tools/analysis/operating_point.py')
    with pytest.raises(SystemExit) as exit_info:
        tool.main([str(tmp_path / 'no_such_run'), '--rule', 'sens900'])
    assert exit_info.value.code == 2
    assert "unknown rule 'sens900'" in capsys.readouterr().err
    assert tool.parse_args([str(tmp_path), '--rule', 'sens95']).rule == 'sens95'


def test_infer_labels_with_the_threshold_and_tta(load_tool, model_files, mixed_folder, tmp_path,
                                                 capsys):
    tool = load_tool('tools/infer.py')
    image = str(mixed_folder / 'a_colour.jpg')
    for name, args in (('plain', []), ('tta', ['--tta'])):
        rc = tool.main([str(model_files.config), str(model_files.checkpoint), image,
                        '--out-dir', str(tmp_path / name), '--device', 'cpu',
                        '--threshold', str(_point(tmp_path, 0.0))] + args)
        assert rc == 0
        (row, ) = _rows(tmp_path / name)
        assert int(row['pred_label']) == int(float(row['p_malignant']) > 0.0)
    with pytest.raises(SystemExit, match='a threshold must be in'):
        tool.main([str(model_files.config), str(model_files.checkpoint), image, '--out-dir',
                   str(tmp_path / 'bad'), '--threshold', '1.5'])


def test_test_tool_with_tta_reports_the_operating_point(model_files, tmp_path):
    point_file = _point(tmp_path, 0.25)
    out = tmp_path / 'isic_out'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), str(model_files.config),
         str(model_files.checkpoint), '--work-dir', str(tmp_path / 'work'), '--isic-out',
         str(out), '--ci', 'none', '--tta', '--operating-point', str(point_file)],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'ISIC classification at the operating point (rule sens90, malignant iff ' \
           'p_malignant > 0.2500; 6 lesions)' in log
    assert 'ECE before / after calibration' in log
    assert json.loads((out / 'operating_point.json').read_text()) == json.loads(
        point_file.read_text())
    assert len(read_per_image(out / 'per_image.csv')['image_id']) == 6

    refused = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), str(model_files.config),
         str(model_files.checkpoint), '--tta', '--out', str(tmp_path / 'raw.pkl')],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert refused.returncode == 1 and 'error: --tta merges' in refused.stderr

    # the test's config went beside its log, not over a config in the work dir;
    # given to --tta again, its wrapped model is refused in one line
    dumped, = (tmp_path / 'work').glob(f'*/{model_files.config.name}')
    assert not (tmp_path / 'work' / model_files.config.name).exists()
    rewrapped = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), str(dumped), str(model_files.checkpoint),
         '--work-dir', str(tmp_path / 'work2'), '--tta'],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert rewrapped.returncode == 1, rewrapped.stderr[-2000:]
    assert f'error: {dumped}: its model is already a test-time augmentation wrapper' \
        in rewrapped.stderr
    assert 'Traceback' not in rewrapped.stderr
