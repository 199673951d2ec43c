"""The HTML report: parsed back, every number, figure and photo it names
must exist and match per_image.csv."""
import base64
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmskin.analysis.operating_point import fit_operating_point, write_operating_point
from mmskin.evaluation.calibration import apply_calibration
from mmskin.evaluation.functional import classification_summary, summarize_image_scores
from mmskin.evaluation.intervals import (classification_intervals, format_interval,
                                         segmentation_intervals)
from mmskin.evaluation import read_per_image
from mmskin.evaluation.statistics import brier_score, expected_calibration_error
from mmskin.apis import ConfigError
from mmskin.visualization.report import find_images, write_report

from .conftest import write_per_image_csv

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'report.py'
RESAMPLES = 300


@pytest.fixture(scope='module')
def report_tool(load_tool):
    return load_tool('tools/analysis/report.py')


class _Node:

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.parts = [], []

    @property
    def text(self):
        return ''.join(p if isinstance(p, str) else p.text for p in self.parts)

    def find_all(self, tag=None, **attrs):
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                    child.attrs.get(k.replace('_', '-')) == v for k, v in attrs.items()):
                yield child
            yield from child.find_all(tag, **attrs)

    def find(self, tag=None, **attrs):
        return next(self.find_all(tag, **attrs), None)


class _TreeBuilder(HTMLParser):
    VOID = {'img', 'meta', 'br', 'link', 'input', 'hr'}

    def __init__(self):
        super().__init__()
        self.root = self.current = _Node('document', {})

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, attrs, self.current)
        self.current.children.append(node)
        self.current.parts.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.parts.append(data)


def _parse(path):
    builder = _TreeBuilder()
    builder.feed(Path(path).read_text(encoding='utf-8'))
    return builder.root


def _table(page, table_id):
    table = page.find('table', id=table_id)
    assert table is not None, table_id
    rows = {}
    for row in table.find_all('tr'):
        if 'data-metric' in row.attrs:
            interval = row.find('td', **{'class': 'interval'})
            rows[row.attrs['data-metric']] = (row.find('td', **{'class': 'value'}).text,
                                              interval.text if interval else '')
    return rows


def _decoded(src):
    match = re.fullmatch(r'data:image/(png|jpeg);base64,([A-Za-z0-9+/=]+)', src)
    assert match, src[:60]
    image = cv2.imdecode(np.frombuffer(base64.b64decode(match[2]), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[0] > 50 and image.shape[1] > 50
    return image


@pytest.fixture(scope='module')
def report(synthetic_run, tmp_path_factory):
    out = tmp_path_factory.mktemp('report') / 'report.html'
    result = subprocess.run(
        [sys.executable, str(TOOL), str(synthetic_run['run_dir']), '--images',
         str(synthetic_run['img_dir']), '--gt-masks', str(synthetic_run['gt_dir']), '--out',
         str(out), '--ci-resamples', str(RESAMPLES)],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert f'wrote {out}' in result.stdout
    return dict(page=_parse(out), html=out.read_text(),
                data=read_per_image(str(synthetic_run['run_dir'] / 'per_image.csv')))


def test_page_is_self_contained(report):
    html, page = report['html'], report['page']
    assert '<script' not in html.lower() and '<link' not in html.lower()
    assert not re.search(r'(src|href)="(?!data:)', html)
    images = list(page.find_all('img'))
    assert len(images) == 4 + 14 + 1 + 1  # 4 figures, the worst 14, one FN, one FP
    for img in images:
        _decoded(img.attrs['src'])
    for figure_id in ('roc', 'pr', 'calibration', 'ja-histogram'):
        figure = page.find('figure', id=figure_id)
        plot = _decoded(figure.find('img').attrs['src'])
        assert len(np.unique(plot.reshape(-1, 3), axis=0)) > 20, figure_id  # not blank


def test_tables_match_per_image_csv(report):
    page, data = report['page'], report['data']
    assert page.find(id='n-images').text == str(len(data['image_id'])) == '14'
    assert page.find(id='n-undetected').text == str((data['detected'] == 0).sum()) == '1'
    scores = {name: data[name] for name in ('JA', 'DI', 'AC', 'SE', 'SP')}
    expected = summarize_image_scores(scores)
    intervals = segmentation_intervals(scores, n_resamples=RESAMPLES)
    shown = _table(page, 'segmentation-scores')
    assert set(shown) == set(expected)
    for name, value in expected.items():
        assert shown[name][0] == f'{value:.4f}', name
        assert shown[name][1] == format_interval(intervals.get(name)), name
    labels, p = data['gt_label'], data['p_malignant']
    expected = classification_summary(labels, p)
    intervals = classification_intervals(labels, p, n_resamples=RESAMPLES)
    shown = _table(page, 'classification-scores')
    assert set(shown) == set(expected)
    for name, value in expected.items():
        assert shown[name][0] == f'{value:.4f}', name
        assert shown[name][1] == format_interval(intervals.get(name)), name
    calibration = _table(page, 'calibration-scores')
    assert calibration['ECE'][0] == f'{expected_calibration_error(labels == 1, p):.4f}'
    assert calibration['Brier'][0] == f'{brier_score(labels == 1, p):.4f}'
    cells = {td.attrs['data-cell']: int(td.text) for td in page.find('table', id='confusion-matrix')
             .find_all('td') if 'data-cell' in td.attrs}
    called = p > 0.5
    assert cells == dict(TP=int((called & (labels == 1)).sum()),
                         FP=int((called & (labels == 0)).sum()),
                         FN=int((~called & (labels == 1)).sum()),
                         TN=int((~called & (labels == 0)).sum()))
    assert cells['FP'] == cells['FN'] == 1


def _gallery(page, gallery_id):
    gallery = page.find('div', data_gallery=gallery_id)
    assert gallery is not None, gallery_id
    return list(gallery.find_all('figure'))


def test_galleries_match_per_image_csv(report):
    page, data = report['page'], report['data']
    row_of = {image_id: i for i, image_id in enumerate(data['image_id'])}
    names = ('benign', 'malignant')
    worst = _gallery(page, 'worst-segmentations')
    assert [case.attrs['data-image-id'] for case in worst] == \
        data['image_id'][np.argsort(data['JA'], kind='stable')].tolist()
    false_negatives = _gallery(page, 'false-negatives')
    false_positives = _gallery(page, 'false-positives')
    assert [c.attrs['data-image-id'] for c in false_negatives] == \
        data['image_id'][(data['gt_label'] == 1) & (data['p_malignant'] <= 0.5)].tolist()
    assert [c.attrs['data-image-id'] for c in false_positives] == \
        data['image_id'][(data['gt_label'] == 0) & (data['p_malignant'] > 0.5)].tolist()
    for case in worst + false_negatives + false_positives:
        row = row_of[case.attrs['data-image-id']]

        def span(name):
            return case.find('span', **{'class': name}).text

        assert span('ja') == f'{data["JA"][row]:.3f}'
        assert span('p-malignant') == f'{data["p_malignant"][row]:.3f}'
        assert span('gt-label') == names[data['gt_label'][row]]
        assert span('pred-label') == names[data['pred_label'][row]]
        assert (case.find('span', **{'class': 'undetected'}) is None) == bool(
            data['detected'][row])
        assert case.attrs['data-image-id'] in case.text
        photo = _decoded(case.find('img').attrs['src'])
        # the predicted contour is drawn in red (BGR 0, 0, 255)
        red = (photo[..., 2] > 180) & (photo[..., 1] < 80) & (photo[..., 0] < 80)
        assert red.any() or not data['detected'][row]


def test_segmentation_only_run_and_bad_input(report_tool, synthetic_run, tmp_path, capsys):
    run = tmp_path / 'run'
    (run / 'masks').mkdir(parents=True)
    data = read_per_image(str(synthetic_run['run_dir'] / 'per_image.csv'))
    write_per_image_csv(run / 'per_image.csv', data['image_id'], data['gt_label'],
                        [float('nan')] * len(data['JA']), data['JA'])
    out = tmp_path / 'seg.html'
    assert report_tool.main([str(run), '--images', str(synthetic_run['img_dir']), '--out',
                             str(out), '--gallery', '3', '--ci', 'none']) == 0
    page = _parse(out)
    assert 'Not scored: p_malignant is NaN' in page.find('body').text
    assert page.find('table', id='classification-scores') is None
    assert page.find('figure', id='roc') is None and page.find('figure', id='ja-histogram')
    cases = _gallery(page, 'worst-segmentations')
    assert len(cases) == 3 and 'no predicted mask' in cases[0].text  # masks/ is empty
    assert page.find('div', data_gallery='false-negatives') is None
    capsys.readouterr()
    for args, message in (([str(tmp_path / 'none'), '--images', str(tmp_path)],
                           f'{tmp_path / "none"}/per_image.csv: file not found'),
                          ([str(run), '--images', str(tmp_path / 'photos')],
                           f'{tmp_path / "photos"}: image folder does not exist'),
                          ([str(run), '--images', str(tmp_path)],
                           f'{tmp_path}: no photo named')):
        assert report_tool.main(args + ['--out', str(tmp_path / 'x.html')]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f'error: {message}') and len(err.splitlines()) == 1, err


def test_saliency_maps_beside_the_gallery_photos(synthetic_run, tmp_path):
    """With a saliency function every gallery photo shows its map, once
    computed per photo, and the most confident malignant calls get a gallery."""
    data = read_per_image(str(synthetic_run['run_dir'] / 'per_image.csv'))
    photos = find_images(str(synthetic_run['img_dir']), data['image_id'].tolist())
    shapes = []

    def saliency(image):
        shapes.append(image.shape[:2])
        if len(shapes) == 2:
            raise ConfigError('layer does not reach the logit')
        cam = np.zeros(image.shape[:2], np.float32)
        cam[:, image.shape[1] // 2:] = 1.0
        return cam

    out = tmp_path / 'report.html'
    write_report(str(out), str(synthetic_run['run_dir']), photos, n_resamples=0,
                 saliency=saliency)
    page = _parse(out)
    confident = _gallery(page, 'most-confident')
    called = np.flatnonzero(data['p_malignant'] > 0.5)
    assert [c.attrs['data-image-id'] for c in confident] == \
        data['image_id'][called[np.argsort(-data['p_malignant'][called])]].tolist()
    cases = [case for gallery in ('worst-segmentations', 'false-negatives', 'false-positives')
             for case in _gallery(page, gallery)] + confident
    assert len(shapes) == len({c.attrs['data-image-id'] for c in cases}) < len(cases)
    failed = [case for case in cases if case.attrs['data-image-id'] == cases[1].attrs[
        'data-image-id']]
    for case in failed:  # noted on its photo, the report still written
        assert case.find('img', **{'class': 'cam'}) is None
        assert 'no saliency map: layer does not reach the logit' in case.text
    for case in cases:
        if case in failed:
            continue
        photo = _decoded(case.find('img').attrs['src'])
        cam = _decoded(case.find('img', **{'class': 'cam'}).attrs['src'])
        assert cam.shape == photo.shape
        width = cam.shape[1]
        # JET: blue where the map is 0 (left half), red where it is 1
        left, right = cam[:, :width // 2 - 4].mean((0, 1)), cam[:, width // 2 + 4:].mean((0, 1))
        assert left[0] > left[2] + 20 and right[2] > right[0] + 20


def test_tool_draws_the_maps_of_the_run_model(report_tool, synthetic_run, model_files, tmp_path,
                                              capsys):
    base = [str(synthetic_run['run_dir']), '--images', str(synthetic_run['img_dir']),
            '--ci', 'none', '--gallery', '2', '--device', 'cpu']
    model = ['--cam', str(model_files.config), str(model_files.checkpoint)]
    out = tmp_path / 'report.html'
    assert report_tool.main(base + ['--out', str(out)] + model) == 0
    page = _parse(out)
    cases = list(page.find_all('figure', **{'class': 'case'}))
    assert len(cases) == 2 + 1 + 1 + 2  # worst, FN, FP, most confident
    for case in cases:
        assert _decoded(case.find('img', **{'class': 'cam'}).attrs['src']).shape == \
            _decoded(case.find('img').attrs['src']).shape

    bad = tmp_path / 'bad.html'
    assert report_tool.main(base + ['--out', str(bad), '--cam-layer', 'backbone.layer4']) == 1
    assert report_tool.main(base + ['--out', str(bad), '--cam-layer', 'x'] + model) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == ['error: --cam-layer needs --cam',
                        "error: layer 'x' is not a module of SkinLesionMaskRCNN (see "
                        "model.named_modules(), e.g. 'backbone.layer4')"]
    assert not bad.exists()


def test_operating_point_beside_the_run_adds_calibration_and_its_decisions(
        report_tool, synthetic_run, tmp_path):
    """tools/test.py --operating-point copies the file into the run folder:
    the page then shows the calibrated reliability diagram, the ECE before
    and after, and SE / SP at the threshold."""
    run = tmp_path / 'run'
    shutil.copytree(synthetic_run['run_dir'], run)
    data = read_per_image(str(run / 'per_image.csv'))
    point = fit_operating_point(data, 'youden', 'platt', source='calib')
    write_operating_point(run / 'operating_point.json', point)
    out = tmp_path / 'op.html'
    assert report_tool.main([str(run), '--images', str(synthetic_run['img_dir']), '--out',
                             str(out), '--gallery', '1', '--ci', 'none']) == 0
    page = _parse(out)
    plot = _decoded(page.find('figure', id='calibration-after').find('img').attrs['src'])
    assert len(np.unique(plot.reshape(-1, 3), axis=0)) > 20
    labelled = data['gt_label'] >= 0
    y, p = data['gt_label'][labelled] == 1, data['p_malignant'][labelled]
    calibrated = apply_calibration(p, point['calibration'])
    scores = _table(page, 'calibration-scores')
    assert scores['ECE'][0] == f'{expected_calibration_error(y, p):.4f}'
    assert scores['ECE_calibrated'][0] == f'{expected_calibration_error(y, calibrated):.4f}'
    assert scores['Brier_calibrated'][0] == f'{brier_score(y, calibrated):.4f}'
    called = p > point['threshold']
    decisions = _table(page, 'operating-point')
    assert decisions['SE'][0] == f'{called[y].mean():.4f}'
    assert decisions['SP'][0] == f'{1 - called[~y].mean():.4f}'
