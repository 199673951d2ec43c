import csv

import cv2
import numpy as np
import pytest

from mmskin.evaluation import PER_IMAGE_COLUMNS


@pytest.fixture(scope='module')
def plot_tool(load_tool):
    return load_tool('tools/analysis/plot_isic_curves.py')


def _per_image_csv(path, n=30, seed=0):
    rng = np.random.default_rng(seed)
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, PER_IMAGE_COLUMNS)
        writer.writeheader()
        for i in range(n):
            gt = int(i % 3 == 0)
            row = dict.fromkeys(PER_IMAGE_COLUMNS, 0)
            row.update(image_id=f'ISIC_{i:07d}', gt_label=gt, p_malignant=rng.random() * 0.6 +
                       0.4 * gt, JA=rng.random())
            writer.writerow(row)
    return path


def _is_a_real_plot(path):
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 200
    # a blank canvas has one colour; curves, text and markers give many
    return len(np.unique(image.reshape(-1, 3), axis=0)) > 20


def test_writes_roc_pr_and_histogram(plot_tool, tmp_path, capsys):
    results = _per_image_csv(tmp_path / 'per_image.csv')
    assert plot_tool.main([str(results), '--out', str(tmp_path / 'plots')]) == 0
    for name in ('roc.png', 'pr.png', 'ja_hist.png'):
        path = tmp_path / 'plots' / name
        assert path.stat().st_size > 10_000, name
        assert _is_a_real_plot(path), name
    assert 'roc.png' in capsys.readouterr().out


def test_single_class_and_benign_positive_still_plot(plot_tool, tmp_path):
    results = tmp_path / 'per_image.csv'
    with open(results, 'w', newline='') as f:
        writer = csv.DictWriter(f, PER_IMAGE_COLUMNS)
        writer.writeheader()
        for i in range(5):
            row = dict.fromkeys(PER_IMAGE_COLUMNS, 0)
            row.update(image_id=f'ISIC_{i:07d}', gt_label=0, p_malignant=0.1 * i, JA=0.8)
            writer.writerow(row)
    out = tmp_path / 'plots'
    assert plot_tool.main([str(results), '--out', str(out), '--positive', 'benign']) == 0
    assert all((out / name).is_file() for name in ('roc.png', 'pr.png', 'ja_hist.png'))


def test_without_probabilities_only_the_histogram(plot_tool, tmp_path, capsys):
    results = _per_image_csv(tmp_path / 'per_image.csv', n=4)
    text = results.read_text().splitlines()
    header = text[0].split(',')
    column = header.index('p_malignant')
    rows = [line.split(',') for line in text[1:]]
    for row in rows:
        row[column] = 'nan'
    results.write_text('\n'.join([text[0]] + [','.join(row) for row in rows]) + '\n')
    out = tmp_path / 'plots'
    assert plot_tool.main([str(results), '--out', str(out)]) == 0
    assert 'no ROC / PR curves' in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ['ja_hist.png']


def test_bad_results_file(plot_tool, tmp_path, capsys):
    assert plot_tool.main([str(tmp_path / 'none.csv'), '--out', str(tmp_path)]) == 1
    assert 'file not found' in capsys.readouterr().err
    wrong = tmp_path / 'wrong.csv'
    wrong.write_text('image_id,melanoma\nISIC_0000000,0.3\n')
    assert plot_tool.main([str(wrong), '--out', str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert str(wrong) in err and 'no column gt_label' in err and 'ISICSegMetric' in err
    bad = _per_image_csv(tmp_path / 'bad.csv', n=3)
    bad.write_text(bad.read_text().replace('ISIC_0000001,0', 'ISIC_0000001,x'))
    assert plot_tool.main([str(bad), '--out', str(tmp_path)]) == 1
    assert 'line 3: gt_label' in capsys.readouterr().err
