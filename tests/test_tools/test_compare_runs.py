import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from mmskin.evaluation.statistics import bootstrap_mean_interval, delong_test

from .conftest import write_per_image_csv

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'compare_runs.py'
N = 120


@pytest.fixture(scope='module')
def compare_tool(load_tool):
    return load_tool('tools/analysis/compare_runs.py')


def _runs(tmp_path, n=N, seed=0):
    """Run B segments a little better and classifies with more signal than A."""
    rng = np.random.default_rng(seed)
    ids = [f'ISIC_{i:07d}' for i in range(n)]
    labels = (rng.random(n) < 0.3).astype(int)
    hardness = rng.random(n)
    ja_a = np.clip(0.9 - 0.5 * hardness + 0.05 * rng.normal(size=n), 0, 1)
    ja_b = np.clip(ja_a + 0.02 + 0.03 * rng.normal(size=n), 0, 1)
    p_a = np.clip(0.35 + 0.2 * labels + 0.2 * rng.normal(size=n), 0, 1).round(6)
    p_b = np.clip(0.3 + 0.35 * labels + 0.2 * rng.normal(size=n), 0, 1).round(6)
    a = write_per_image_csv(tmp_path / 'a.csv', ids, labels, p_a, ja_a.round(6))
    b = write_per_image_csv(tmp_path / 'b.csv', ids, labels, p_b, ja_b.round(6))
    return a, b, dict(ids=ids, labels=labels, ja_a=ja_a.round(6), ja_b=ja_b.round(6), p_a=p_a,
                      p_b=p_b)


def _last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def test_paired_statistics_from_the_command_line(tmp_path):
    a, b, truth = _runs(tmp_path)
    result = subprocess.run([sys.executable, str(TOOL), str(a), str(b), '--json'],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = _last_json(result.stdout)
    assert out['n'] == N
    difference = truth['ja_b'] - truth['ja_a']
    ja = out['JA']
    assert (ja['a'], ja['b']) == pytest.approx((truth['ja_a'].mean(), truth['ja_b'].mean()))
    assert ja['difference'] == pytest.approx(difference.mean())
    assert (ja['lo'], ja['hi']) == pytest.approx(bootstrap_mean_interval(difference))
    assert ja['p_value'] == pytest.approx(stats.wilcoxon(difference).pvalue)
    assert ja['lo'] > 0 and ja['p_value'] < 1e-3  # B is better, and it shows
    assert set(out) == {'n', 'JA', 'DI', 'TJA', 'AUC', 'AC'}
    expected = delong_test(truth['labels'] == 1, truth['p_a'], truth['p_b'])
    assert out['AUC']['difference'] == pytest.approx(expected.difference)
    assert out['AUC']['p_value'] == pytest.approx(expected.p_value)
    assert out['AUC']['test'] == 'DeLong'
    correct_a = (truth['p_a'] > 0.5) == (truth['labels'] == 1)
    correct_b = (truth['p_b'] > 0.5) == (truth['labels'] == 1)
    only_a, only_b = int((correct_a & ~correct_b).sum()), int((~correct_a & correct_b).sum())
    assert out['AC']['note'] == f'{only_a} only A right, {only_b} only B right'
    assert out['AC']['p_value'] == pytest.approx(
        stats.binomtest(only_a, only_a + only_b).pvalue)
    assert 'B - A' in result.stdout and 'Wilcoxon signed-rank' in result.stdout


def test_a_run_against_itself_shows_no_difference(compare_tool, tmp_path, capsys):
    a, _, _ = _runs(tmp_path)
    assert compare_tool.main([str(a), str(a), '--json', '--ci-resamples', '200']) == 0
    out = _last_json(capsys.readouterr().out)
    for metric in ('JA', 'DI', 'TJA', 'AUC', 'AC'):
        assert out[metric]['difference'] == 0 and out[metric]['p_value'] == 1.0, metric
        assert out[metric]['lo'] == out[metric]['hi'] == 0


def _error_of(compare_tool, capsys, *args):
    assert compare_tool.main([str(a) for a in args]) == 1
    captured = capsys.readouterr()
    assert captured.out == '' and 'Traceback' not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_refuses_runs_on_different_ground_truth(compare_tool, tmp_path, capsys):
    a, _, truth = _runs(tmp_path)
    flipped = truth['labels'].copy()
    flipped[[3, 8]] = 1 - flipped[[3, 8]]
    other = write_per_image_csv(tmp_path / 'labels.csv', truth['ids'], flipped, truth['p_b'],
                                truth['ja_b'])
    error = _error_of(compare_tool, capsys, a, other)
    assert error.startswith(f'error: {other}: ground-truth labels differ from {a} on 2 images')
    assert 'ISIC_0000003, ISIC_0000008' in error
    disjoint = write_per_image_csv(tmp_path / 'disjoint.csv', [f'ISIC_9{i:06d}' for i in range(N)],
                                   truth['labels'], truth['p_b'], truth['ja_b'])
    assert 'no image in common' in _error_of(compare_tool, capsys, a, disjoint)
    subset = write_per_image_csv(tmp_path / 'subset.csv', truth['ids'][:100],
                                 truth['labels'][:100], truth['p_b'][:100], truth['ja_b'][:100])
    error = _error_of(compare_tool, capsys, a, subset)
    assert '20 only in A' in error and '--common-only' in error
    assert compare_tool.main([str(a), str(subset), '--common-only', '--json',
                              '--ci-resamples', '100']) == 0
    assert _last_json(capsys.readouterr().out)['n'] == 100


def test_bad_files(compare_tool, tmp_path, capsys):
    a, _, _ = _runs(tmp_path)
    missing = tmp_path / 'none.csv'
    assert _error_of(compare_tool, capsys, a, missing) == f'error: {missing}: file not found'
    wrong = tmp_path / 'wrong.csv'
    wrong.write_text('image_id,melanoma\nISIC_0000000,0.3\n')
    error = _error_of(compare_tool, capsys, wrong, a)
    assert error.startswith(f"error: {wrong}: line 1 'image_id,melanoma' is not the expected "
                            'header: no column gt_label') and ' JA, ' in error


def test_runs_without_probabilities_compare_segmentation_only(compare_tool, tmp_path, capsys):
    _, _, truth = _runs(tmp_path, n=20)
    a = write_per_image_csv(tmp_path / 'seg_a.csv', truth['ids'], truth['labels'],
                            [float('nan')] * 20, truth['ja_a'])
    b = write_per_image_csv(tmp_path / 'seg_b.csv', truth['ids'], truth['labels'],
                            [float('nan')] * 20, truth['ja_b'])
    assert compare_tool.main([str(a), str(b), '--json', '--ci-resamples', '100']) == 0
    out = capsys.readouterr().out
    assert 'no classification comparison: p_malignant is NaN' in out
    assert set(_last_json(out)) == {'n', 'JA', 'DI', 'TJA'}
