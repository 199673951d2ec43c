import csv
import io

import numpy as np
import pytest

from mmskin.evaluation.functional import classification_summary
from mmskin.evaluation.intervals import classification_intervals, segmentation_intervals
from mmskin.analysis.paper_tables import PAPER_TABLES

from .conftest import write_per_image_csv

RESAMPLES = 200


@pytest.fixture(scope='module')
def tables_tool(load_tool):
    return load_tool('tools/analysis/make_tables.py')


def _run(folder, seed, n=50):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(int)
    p = np.clip(0.3 + 0.4 * labels + 0.2 * rng.normal(size=n), 0, 1).round(6)
    ja = rng.beta(6, 2, size=n).round(6)
    folder.mkdir(parents=True)
    write_per_image_csv(folder / 'per_image.csv', [f'ISIC_{i:07d}' for i in range(n)], labels,
                        p, ja, AC=[0.9] * n, SE=ja.tolist(), SP=[0.95] * n)
    return folder, dict(labels=labels, p=p, ja=ja)


def test_segmentation_table_beside_the_paper(tables_tool, tmp_path, capsys):
    dice, dice_truth = _run(tmp_path / 'work_dirs' / 'mask_rcnn_r101_fpn_dice' / 'isic_out', 0)
    ce, _ = _run(tmp_path / 'elsewhere', 1)
    out = tmp_path / 'tables'
    assert tables_tool.main([str(dice), f'mask_rcnn_r101_fpn_ce.py={ce}', '--table', 'VI',
                             '--out', str(out), '--ci-resamples', str(RESAMPLES)]) == 0
    markdown = capsys.readouterr().out
    assert markdown == (out / 'table_VI.md').read_text()
    lines = {line.split(' | ')[0].lstrip('| '): line for line in markdown.splitlines()
             if line.startswith('| ')}
    lo, hi = segmentation_intervals(
        dict(JA=dice_truth['ja'], DI=2 * dice_truth['ja'] / (1 + dice_truth['ja']),
             AC=[0.9] * 50, SE=dice_truth['ja'], SP=[0.95] * 50), n_resamples=RESAMPLES)['JA']
    assert lines['Dice Loss (DL)'].startswith(
        f'| Dice Loss (DL) | `mask_rcnn_r101_fpn_dice.py` | 0.794 | '
        f'{dice_truth["ja"].mean():.3f} [{lo:.3f}, {hi:.3f}] | 0.873 |')
    assert lines['FL+JL'].endswith('| 0.799 |  | 0.878 |  | 0.959 |  | 0.831 |  | 0.986 |  |')
    assert len(lines) == 1 + len(PAPER_TABLES['VI'].rows)  # the header and every paper row
    rows = list(csv.DictReader(io.StringIO((out / 'table_VI.csv').read_text())))
    assert len(rows) == 6 * 5
    ja = next(r for r in rows
              if r['config'] == 'mask_rcnn_r101_fpn_dice.py' and r['metric'] == 'JA')
    assert float(ja['paper']) == 0.794
    assert float(ja['ours']) == pytest.approx(dice_truth['ja'].mean())
    assert (float(ja['ours_lo']), float(ja['ours_hi'])) == pytest.approx((lo, hi))
    assert ja['n_images'] == '50' and ja['run_dir'] == str(dice)
    latex = (out / 'table_VI.tex').read_text()
    assert latex.count(r' \\') == 2 + 6 and r'\begin{tabular}{lcccccccccc}' in latex
    assert f'{dice_truth["ja"].mean():.3f} {{\\scriptsize [{lo:.3f}, {hi:.3f}]}}' in latex


def test_classification_table_scores_benign_as_positive(tables_tool, tmp_path, capsys):
    run, truth = _run(tmp_path / 'work_dirs' / 'mask_rcnn_r101_fpn_focaljac_cls' / 'isic_out', 2)
    assert tables_tool.main([str(run), '--table', 'IX', '--format', 'csv',
                             '--ci-resamples', str(RESAMPLES)]) == 0
    rows = {(r['config'], r['metric']): r for r in csv.DictReader(io.StringIO(
        capsys.readouterr().out))}
    expected = classification_summary(truth['labels'], truth['p'], positive='benign')
    intervals = classification_intervals(truth['labels'], truth['p'], positive='benign',
                                         n_resamples=RESAMPLES)
    for metric in ('AC', 'AUC', 'SE', 'SP', 'AP'):
        row = rows[('mask_rcnn_r101_fpn_focaljac_cls.py', metric)]
        assert float(row['ours']) == pytest.approx(expected[metric]), metric
        assert (float(row['ours_lo']), float(row['ours_hi'])) == pytest.approx(intervals[metric])
    assert rows[('mask_rcnn_r101_fpn_focaljac_seg.py', 'AC')]['paper'] == ''  # a dash


def test_runs_that_fit_no_row(tables_tool, tmp_path, capsys):
    run, _ = _run(tmp_path / 'demo' / 'isic_out', 3)
    for args, message in (([str(run)], f'error: {run}: no config of Table VI in its path'),
                          ([f'mask_rcnn_r50_fpn_focaljac={run}'],
                           f'error: {run}: mask_rcnn_r50_fpn_focaljac is not a config of Table VI'),
                          ([f'mask_rcnn_r101_fpn_ce={tmp_path}'],
                           f'error: {tmp_path}/per_image.csv: file not found'),
                          ([f'mask_rcnn_r101_fpn_ce={run}', f'mask_rcnn_r101_fpn_ce.py={run}'],
                           f'error: {run}: a second run of mask_rcnn_r101_fpn_ce.py')):
        assert tables_tool.main(args + ['--table', 'VI']) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(message) and len(err.splitlines()) == 1, err
