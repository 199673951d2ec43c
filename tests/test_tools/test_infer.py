"""The inference command line, tools/infer.py."""
import csv
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmskin.analysis.abcd import abcd_features
from mmskin.evaluation import ABCD_COLUMNS, LESION_COLUMNS, prediction_columns
from mmskin.utils import read_image, read_mask

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/infer.py'


def _rows(out_dir: Path) -> list:
    with open(out_dir / 'predictions.csv', newline='') as f:
        return list(csv.DictReader(f))


def test_tool_single_image_and_empty_folder(load_tool, photos, model_files, mixed_folder,
                                            tmp_path, capsys):
    tool = load_tool('tools/infer.py')
    out = tmp_path / 'single'
    rc = tool.main([str(model_files.config), str(model_files.checkpoint),
                    str(mixed_folder / 'g_exif.jpg'), '--out-dir', str(out),
                    '--device', 'cpu'])
    assert rc == 0
    assert 'processed 1, failed 0' in capsys.readouterr().out
    assert [r['image_id'] for r in _rows(out)] == ['g_exif']
    mask = cv2.imread(str(out / 'masks' / 'g_exif_segmentation.png'), cv2.IMREAD_UNCHANGED)
    assert mask.shape == photos.good['g_exif.jpg']

    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(SystemExit, match=f'error: {empty}: the folder holds no image'):
        tool.main([str(model_files.config), str(model_files.checkpoint), str(empty),
                   '--out-dir', str(tmp_path / 'none')])
    assert not (tmp_path / 'none').exists()


def test_tool_cli_mixed_folder_with_ground_truth(photos, model_files, mixed_folder, gt_folder,
                                                 tmp_path):
    """Every good photo gets its row, mask and overlay at its stored size;
    the bad files are reported and skipped, and the exit status says so."""
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(model_files.config), str(model_files.checkpoint),
         str(mixed_folder), '--out-dir', str(out), '--gt-masks', str(gt_folder),
         '--device', 'cpu'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'processed 5, failed 2' in proc.stdout
    for bad in photos.bad:
        assert f'skipped {mixed_folder / bad}: ' in proc.stderr
    assert 'ground truth not drawn for e_rgba.png' in proc.stderr
    assert not list(out.rglob('*.tmp')), 'no temporary file may be left'

    rows = _rows(out)
    assert list(rows[0]) == list(LESION_COLUMNS)
    assert [r['image_id'] for r in rows] == [Path(name).stem for name in photos.good]
    for row, name in zip(rows, photos.good):
        h, w = photos.good[name]
        stem = Path(name).stem
        assert 0.0 <= float(row['p_malignant']) <= 1.0
        assert row['pred_label'] == str(int(float(row['p_malignant']) > 0.5))
        mask = cv2.imread(str(out / 'masks' / f'{stem}_segmentation.png'), cv2.IMREAD_UNCHANGED)
        assert mask.shape == (h, w), name  # the photo as stored (EXIF tag ignored)
        assert set(np.unique(mask)) <= {0, 255}
        assert int(row['area']) == int((mask == 255).sum())
        if row['detected'] == '1':
            x0, y0, x1, y1 = (float(row[k]) for k in ('x0', 'y0', 'x1', 'y1'))
            assert 0 <= x0 <= x1 <= w and 0 <= y0 <= y1 <= h
        overlay = cv2.imread(str(out / 'overlays' / f'{stem}.jpg'))
        assert overlay.shape == (h, w, 3)
        contour = np.zeros((h, w), np.uint8)
        found, _ = cv2.findContours(photos.lesion_mask(h, w), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(contour, found, -1, 1, 1)
        black = overlay[contour > 0].max(axis=1) < 90
        if stem == 'e_rgba':  # no ground truth: nothing black on the bright photo
            assert black.mean() < 0.05
        else:
            assert black.mean() > 0.5, f'{name}: the ground-truth contour is not drawn'


def test_tool_abcd_columns(load_tool, model_files, mixed_folder, tmp_path):
    """--abcd adds the ABCD features of the predicted mask written beside the row."""
    tool = load_tool('tools/infer.py')
    out = tmp_path / 'abcd'
    photo = mixed_folder / 'a_colour.jpg'
    assert tool.main([str(model_files.config), str(model_files.checkpoint), str(photo),
                      '--out-dir', str(out), '--device', 'cpu', '--abcd']) == 0
    [row] = _rows(out)
    assert tuple(row) == prediction_columns(abcd=True)
    mask = read_mask(out / 'masks' / 'a_colour_segmentation.png')
    assert mask.any(), 'the untrained model predicts some lesion, so there is something to measure'
    expected = abcd_features(read_image(photo), mask)
    for name in ABCD_COLUMNS:
        assert row[name] == ('' if np.isnan(expected[name]) else f'{expected[name]:.6g}'), name
    assert row['diameter_mm'] == '' and float(row['diameter_px']) > 0


def test_tool_cam_beside_the_overlays(load_tool, photos, model_files, mixed_folder, tmp_path,
                                      capsys):
    tool = load_tool('tools/infer.py')
    model = [str(model_files.config), str(model_files.checkpoint)]
    out = tmp_path / 'out'
    assert tool.main(model + [str(mixed_folder / 'a_colour.jpg'), '--out-dir', str(out),
                              '--device', 'cpu', '--cam']) == 0
    cam = cv2.imread(str(out / 'cams' / 'a_colour.jpg'))
    assert cam.shape == photos.good['a_colour.jpg'] + (3, )
    assert (out / 'overlays' / 'a_colour.jpg').is_file()

    for flags, problem in ((['--cam-layer', 'backbone.layer4'], '--cam-layer needs --cam'),
                           (['--cam', '--cam-layer', 'backbone.layer9'],
                            "layer 'backbone.layer9' is not a module")):
        with pytest.raises(SystemExit, match=f'error: {problem}'):
            tool.main(model + [str(mixed_folder / 'c_gray.png'), '--out-dir', str(out),
                               '--device', 'cpu'] + flags)
    assert sorted(p.name for p in out.rglob('*.*')) == [
        'a_colour.jpg', 'a_colour.jpg', 'a_colour_segmentation.png', 'predictions.csv']
