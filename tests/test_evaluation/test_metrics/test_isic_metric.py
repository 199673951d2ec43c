import csv
import dataclasses
import math
import pickle

import cv2
import numpy as np
import pytest
import torch

from mmskin.evaluation import PER_IMAGE_COLUMNS, LesionRecord, read_per_image
from mmskin.evaluation.functional import (classification_summary, per_image_scores,
                                          segmentation_summary)
from mmskin.evaluation.intervals import segmentation_intervals
from mmskin.evaluation.metrics import ISICClsMetric, ISICSegMetric


def _square(h, w, y0, y1, x0, x1):
    mask = np.zeros((h, w), bool)
    mask[y0:y1, x0:x1] = True
    return mask


@pytest.fixture
def samples(make_sample):
    """Four images: exact, half overlap, nothing detected, empty ground truth."""
    return [
        make_sample('ISIC_0000001', _square(8, 10, 2, 6, 2, 6), _square(8, 10, 2, 6, 2, 6), 1,
                    0.8),
        make_sample('ISIC_0000002', _square(6, 6, 0, 2, 0, 4), _square(6, 6, 0, 2, 2, 6), 0,
                    0.6),
        make_sample('ISIC_0000003', _square(5, 5, 1, 3, 1, 3), np.zeros((5, 5), bool), 1, 0.0,
                    detected=False),
        make_sample('ISIC_0000004', np.zeros((4, 4), bool), np.zeros((4, 4), bool), 0, 0.3),
    ]


def test_seg_metric_by_hand(samples):
    metric = ISICSegMetric()
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    # JA per image: 1, 4/12, 0, 1 (both empty: official 1.0)
    assert scores['JA'] == pytest.approx((1 + 4 / 12 + 0 + 1) / 4)
    assert scores['DI'] == pytest.approx((1 + 8 / 16 + 0 + 1) / 4)
    assert scores['SE'] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert scores['SP'] == pytest.approx((1 + 24 / 28 + 1 + 1) / 4)
    assert scores['AC'] == pytest.approx((1 + 28 / 36 + 21 / 25 + 1) / 4)
    assert scores['TJA'] == pytest.approx((1 + 0 + 0 + 1) / 4)
    assert set(scores) == {'JA', 'DI', 'AC', 'SE', 'SP', 'TJA', 'JA_median', 'n'}
    assert scores['n'] == 4
    assert all(isinstance(v, float) for k, v in scores.items() if k != 'n')


def test_seg_metric_legacy_rule_drops_the_empty_image(samples):
    metric = ISICSegMetric(empty_rule='exclude')
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    assert scores['JA'] == pytest.approx((1 + 4 / 12 + 0) / 3)
    assert scores['SE'] == pytest.approx((1 + 0.5 + 0) / 3)
    assert scores['SP'] == pytest.approx((1 + 24 / 28 + 1 + 1) / 4)


def test_cls_metric_counts_undetected_images(samples, logged_warnings):
    metric = ISICClsMetric(sensitivities=(0.95, ))
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    expected = classification_summary([1, 0, 1, 0], [0.8, 0.6, 0.0, 0.3], sensitivities=(0.95, ))
    assert scores == pytest.approx(dict(expected, n=4, n_unlabelled=0))
    # the undetected malignant lesion (p = 0) is a false negative, not dropped
    assert scores['SE'] == pytest.approx(0.5) and scores['AC'] == pytest.approx(0.5)
    benign = ISICClsMetric(positive='benign', sensitivities=())
    benign.process({}, samples)
    assert benign.compute_metrics(benign.results)['SE'] == pytest.approx(0.5)  # 0.3 of 2 benign


def test_cls_metric_single_class_is_nan_not_a_crash(samples, logged_warnings):
    metric = ISICClsMetric()
    metric.process({}, [samples[0], samples[2]])
    scores = metric.compute_metrics(metric.results)
    assert math.isnan(scores['AUC']) and math.isnan(scores['AP'])
    assert scores['SE'] == pytest.approx(0.5)
    assert any('only one class' in m for m in logged_warnings)


def test_results_hold_a_few_numbers_per_image(make_sample):
    big = np.zeros((1500, 2000), bool)
    big[100:900, 300:1500] = True
    sample = make_sample('ISIC_0000009', big, big, 1, 0.7)
    for metric in (ISICSegMetric(), ISICClsMetric()):
        metric.process({}, [sample])
        (record, ) = metric.results
        values = [*record.values(), *dataclasses.astuple(record['record'])]
        assert all(isinstance(v, (int, float, bool, str, tuple, LesionRecord)) for v in values)
        assert all(isinstance(x, (int, float)) for v in values if isinstance(v, tuple)
                   for x in v)
        assert len(pickle.dumps(record)) < 1000


def test_out_dir_files(samples, tmp_path):
    seg = ISICSegMetric(out_dir=str(tmp_path))
    cls = ISICClsMetric(out_dir=str(tmp_path))
    for metric in (seg, cls):
        metric.process({}, samples)
    # masks are written while processing, as 0/255 at the original size
    written = sorted(p.name for p in (tmp_path / 'masks').iterdir())
    assert written == [f'ISIC_000000{i}_segmentation.png' for i in range(1, 5)]
    mask = cv2.imread(str(tmp_path / 'masks' / 'ISIC_0000002_segmentation.png'),
                      cv2.IMREAD_UNCHANGED)
    assert mask.shape == (6, 6) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    np.testing.assert_array_equal(mask > 128, _square(6, 6, 0, 2, 2, 6))
    seg.compute_metrics(seg.results)
    cls.compute_metrics(cls.results)
    with open(tmp_path / 'per_image.csv') as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == PER_IMAGE_COLUMNS
    assert [r['image_id'] for r in rows] == [f'ISIC_000000{i}' for i in range(1, 5)]
    assert rows[1]['gt_label'] == '0' and rows[1]['pred_label'] == '1'
    assert float(rows[1]['JA']) == pytest.approx(4 / 12, abs=1e-6)
    assert rows[2]['detected'] == '0' and float(rows[2]['p_malignant']) == 0.0
    assert [float(rows[1][k]) for k in ('x0', 'y0', 'x1', 'y1')] == [2, 0, 6, 2]
    with open(tmp_path / 'part3_submission.csv') as f:
        lines = f.read().splitlines()
    assert lines[0] == 'image_id,melanoma'
    assert lines[1:] == ['ISIC_0000001,0.800000', 'ISIC_0000002,0.600000',
                         'ISIC_0000003,0.000000', 'ISIC_0000004,0.300000']


def test_images_without_gt_label_are_reported_not_scored(samples, logged_warnings, make_sample):
    unlabelled = make_sample('ISIC_0000005', np.zeros((4, 4), bool), np.zeros((4, 4), bool),
                             None, 0.9)
    metric = ISICClsMetric(sensitivities=())
    metric.process({}, samples + [unlabelled])
    scores = metric.compute_metrics(metric.results)
    assert scores['AC'] == pytest.approx(0.5)
    assert (scores['n'], scores['n_unlabelled']) == (4, 1)
    assert any('ISIC_0000005' in m for m in logged_warnings)
    seg = ISICSegMetric()
    seg.process({}, [unlabelled])  # no annotation: scored against an empty mask
    assert seg.compute_metrics(seg.results)['JA'] == 1.0


def test_clear_errors_for_wrong_inputs(samples, make_sample):
    no_lesion = dict(samples[0])
    del no_lesion['pred_lesion']
    with pytest.raises(ValueError, match="ISIC_0000001 has no 'pred_lesion'"):
        ISICSegMetric().process({}, [no_lesion])
    no_masks = dict(samples[0], gt_instances={'labels': torch.tensor([1])})
    with pytest.raises(ValueError, match='with_mask=True'):
        ISICSegMetric().process({}, [no_masks])
    wrong_size = make_sample('ISIC_0000007', np.zeros((4, 4), bool), np.zeros((5, 4), bool), 0,
                             0.1)
    with pytest.raises(ValueError, match=r'ISIC_0000007: .*\(5, 4\)'):
        ISICSegMetric().process({}, [wrong_size])
    with pytest.raises(ValueError, match='empty_rule'):
        ISICSegMetric(empty_rule='zero')
    with pytest.raises(ValueError, match='positive'):
        ISICClsMetric(positive='melanoma')


def test_metric_equals_functional_on_random_masks(make_sample):
    rng = np.random.default_rng(3)
    samples, counts = [], []
    for i in range(10):
        gt = rng.random((9, 7)) < 0.3
        pred = rng.random((9, 7)) < 0.3
        samples.append(make_sample(f'ISIC_{i:07d}', gt, pred, i % 2, rng.random()))
        counts.append([(pred & gt).sum(), (pred & ~gt).sum(), (~pred & gt).sum(),
                       (~pred & ~gt).sum()])
    metric = ISICSegMetric()
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    expected = segmentation_summary(counts)
    for name in expected:
        assert abs(scores[name] - expected[name]) < 1e-12


def test_intervals_are_returned(make_sample):
    rng = np.random.default_rng(5)
    samples = [make_sample(f'ISIC_{i:07d}', rng.random((9, 7)) < 0.4, rng.random((9, 7)) < 0.4,
                           i % 2, float(np.clip(0.3 + 0.4 * (i % 2) + 0.3 * rng.normal(), 0, 1)))
               for i in range(30)]
    seg, cls = ISICSegMetric(ci_resamples=300), ISICClsMetric(ci_resamples=300)
    for metric in (seg, cls):
        metric.process({}, samples)
    seg_scores = seg.compute_metrics(seg.results)
    counts = np.array([r['counts'] for r in seg.results])
    expected = segmentation_intervals(per_image_scores(counts), n_resamples=300)
    for name, (lo, hi) in expected.items():
        assert (seg_scores[f'{name}_lo'], seg_scores[f'{name}_hi']) == (lo, hi)
        assert lo <= seg_scores[name] <= hi
    assert 'JA_median_lo' not in seg_scores
    cls_scores = cls.compute_metrics(cls.results)
    for name in ('AC', 'AUC', 'AP', 'SE', 'SP'):
        assert cls_scores[f'{name}_lo'] <= cls_scores[name] <= cls_scores[f'{name}_hi'], name
    assert 'SP_at_SE95_lo' not in cls_scores


def test_per_image_csv_reads_back(samples, tmp_path):
    seg = ISICSegMetric(empty_rule='exclude', out_dir=str(tmp_path))
    seg.process({}, samples)
    seg.compute_metrics(seg.results)
    path = str(tmp_path / 'per_image.csv')
    data = read_per_image(path)
    assert tuple(data) == PER_IMAGE_COLUMNS
    assert data['image_id'].tolist() == [f'ISIC_000000{i}' for i in range(1, 5)]
    assert data['gt_label'].dtype == np.int64 and data['detected'].tolist() == [1, 1, 0, 1]
    assert data['JA'][:3] == pytest.approx([1, 4 / 12, 0], abs=1e-6)
    assert np.isnan(data['JA'][3])  # both masks empty, excluded
    with pytest.raises(ValueError, match='none.csv: file not found'):
        read_per_image(str(tmp_path / 'none.csv'))
    text = open(path).read().splitlines()
    (tmp_path / 'twice.csv').write_text('\n'.join(text + text[-1:]) + '\n')
    with pytest.raises(ValueError, match='twice.csv: line 6: image ISIC_0000004 appears twice'):
        read_per_image(str(tmp_path / 'twice.csv'))
    (tmp_path / 'cols.csv').write_text(text[0].replace(',JA,', ',IoU,') + '\n')
    with pytest.raises(ValueError,
                       match=r'cols.csv: line 1 .* is not the expected header: no column JA;'):
        read_per_image(str(tmp_path / 'cols.csv'))
    (tmp_path / 'empty.csv').write_text(text[0] + '\n')
    with pytest.raises(ValueError, match='empty.csv: no rows'):
        read_per_image(str(tmp_path / 'empty.csv'))


@pytest.mark.parametrize('build', [
    lambda: ISICSegMetric(tja_threshold=65),
    lambda: ISICClsMetric(threshold=-0.5),
    lambda: ISICClsMetric(threshold=float('nan')),
    lambda: ISICClsMetric(sensitivities=(0.95, 98)),
])
def test_thresholds_outside_zero_one_are_refused(build):
    with pytest.raises(ValueError, match=r'must be a number in \[0, 1\]'):
        build()
