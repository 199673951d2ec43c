"""The input matrix: files other programs wrote, and the values in them,
crossed with every entry point that reads them.

Kinds of input (the fault matrix, ``test_fault_matrix.py``, covers damaged
files and the output folders):

1. COCO files: categories read by name, not position; inconsistent files
   refused at dataset build, naming the annotation;
2. one-hot (ISIC 2018 Task 3) label rows that are not one-hot;
3. text encodings and headers of CSVs (Latin-1, binary data, a byte-order
   mark with CRLF, a header of other columns);
4. values outside their domain, in files and on the command line;
5. EXIF orientation: every reader uses the image as stored;
6. PH2 masks as distributed (1-bit and 24-bit grey BMPs).

Each case asserts the exit status, that the message names the file (or the
flag), that no traceback escapes, and that every file that existed before
the run (inputs and earlier outputs) is byte-identical afterwards, except an
output folder a successful run replaces as a whole. The counts are printed
at the end of the module (``-s``).
"""
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmskin.datasets import ISICDataset
from mmskin.evaluation import read_per_image
from ..ph2_layout import write_ph2_case, write_ph2_table
from .test_fault_matrix import (EARLIER_ROW, TEST_ID, TEST_IMAGES, TRAIN_CSV, TRAIN_ID,
                                TRAIN_IMAGES, TRAIN_MASKS, Outcome, Workspace, _load_tool,
                                exif_rotated, in_process, make_base, snapshot)

#: Outcome of each case, printed at the end of the module.
TALLY: Counter = Counter()
#: A row of the paper's Table VI, for make_tables.
TABLE, TABLE_CONFIG = 'VI', 'mask_rcnn_r101_fpn_ce.py'
ANALYSIS_TOOLS = ('compare_runs', 'report', 'make_tables', 'area_baseline')


@pytest.fixture(scope='module')
def base(tiny_trained, tmp_path_factory, load_tool):
    """The fault matrix's data, model and earlier outputs, and a test run's
    ``--isic-out`` folder (the input of compare_runs, report, make_tables)."""
    folder = tmp_path_factory.mktemp('input_base')
    data = make_base(tiny_trained, folder)
    run = folder / 'run'
    outcome = Workspace(data, folder / 'first').test()
    assert outcome.rc == 0, outcome.err
    shutil.copytree(folder / 'first' / 'results' / 'isic_out', run)
    data.update(run=run, tools={name: load_tool(f'tools/analysis/{name}.py')
                                for name in ANALYSIS_TOOLS})
    yield data
    print(f'\ninput matrix: {sum(TALLY.values())} cases: ' +
          ', '.join(f'{n} {kind}' for kind, n in sorted(TALLY.items())))


class Inputs(Workspace):
    """The fault matrix's workspace, with two earlier test runs and the
    analysis tools."""

    def __init__(self, base: dict, tmp_path: Path) -> None:
        super().__init__(base, tmp_path)
        self.tools = base['tools']
        self.run_a, self.run_b = tmp_path / 'run_a', tmp_path / 'run_b'
        shutil.copytree(base['run'], self.run_a)
        shutil.copytree(base['run'], self.run_b)

    def compare(self, extra: Iterable[str] = ()) -> Outcome:
        return self.analysis('compare_runs', [str(self.run_a / 'per_image.csv'),
                                              str(self.run_b / 'per_image.csv'),
                                              '--ci-resamples', '50', *extra])

    def report(self, extra: Iterable[str] = ()) -> Outcome:
        return self.analysis('report', [str(self.run_a), '--images', str(self.root / TEST_IMAGES),
                                        '--out', str(self.tmp / 'report.html'), '--ci', 'none',
                                        *extra])

    def tables(self, extra: Iterable[str] = ()) -> Outcome:
        return self.analysis('make_tables', [f'{TABLE_CONFIG}={self.run_a}', '--table', TABLE,
                                             '--ci', 'none', *extra])

    def area_baseline(self, ann: Path) -> Outcome:
        return self.analysis('area_baseline', [str(ann)])

    def analysis(self, tool: str, argv: List[str]) -> Outcome:
        return in_process(self.tools[tool].main, argv)

    def convert_folder(self, labels: Path) -> Outcome:
        return in_process(
            self._convert_main(),
            ['folder', '--images', str(self.root / TRAIN_IMAGES), '--masks',
             str(self.root / TRAIN_MASKS), '--labels', str(labels), '--out',
             str(self.tmp / 'converted' / 'folder.json')])

    def convert_ph2(self, root: Path) -> Outcome:
        return in_process(self._convert_main(),
                          ['ph2', str(root), '--out', str(self.tmp / 'converted' / 'ph2.json')])

    def _convert_main(self) -> Callable:
        return _load_tool('convert').main

    def train_ann(self) -> Path:
        return self.root / 'annotations' / 'isic2017_train.json'

    def test_ann(self) -> Path:
        return self.root / 'annotations' / 'isic2017_test.json'


@pytest.fixture
def ws(base, tmp_path) -> Inputs:
    return Inputs(base, tmp_path)


def run(ws: Inputs, entry: Callable[[], Outcome]) -> tuple:
    """Run an entry point; returns its outcome and the files before it ran."""
    before = snapshot(ws.tmp)
    return entry(), before


def expect(ws: Inputs, outcome: Outcome, before: Dict[str, bytes], result: str,
           named: object = None, replaced: Iterable[Path] = (),
           changed: Iterable[Path] = ()) -> None:
    """Assert a case's outcome and count it.

    Args:
        result: 'error' (exit 1, one ``error:`` line naming ``named``),
            'usage' (exit 2, argparse's message naming the flag ``named``),
            'reported' (exit 0, ``named`` in what the run printed on stderr),
            or 'ok' (exit 0).
        replaced: output folders a successful run may replace as a whole.
        changed: files the run may rewrite keeping their content (e.g. the
            predictions.csv an inference run adds its rows to).
    """
    skipped = [str(Path(p).relative_to(ws.tmp)) for p in (*replaced, *changed)]
    try:
        assert outcome.rc != 'traceback' and 'Traceback' not in outcome.err, outcome.err
        after = snapshot(ws.tmp)
        lost = [name for name, data in before.items() if after.get(name) != data
                and not any(name == s or name.startswith(s + '/') for s in skipped)]
        assert not lost, f'inputs or earlier outputs changed or lost: {lost}'
        if result == 'error':
            assert outcome.rc == 1, outcome.err
            assert len(outcome.error_lines) == 1, outcome.err
            assert named is None or str(named) in outcome.error_lines[0], outcome.err
        elif result == 'usage':
            assert outcome.rc == 2, outcome.err
            usage = [line for line in outcome.err.splitlines() if ': error: argument ' in line]
            assert len(usage) == 1 and str(named) in usage[0], outcome.err
        else:
            assert outcome.rc == 0, outcome.err
            assert not outcome.error_lines, outcome.err
            assert result == 'ok' or str(named) in outcome.err, outcome.err
    except AssertionError:
        TALLY['traceback' if outcome.rc == 'traceback' or 'Traceback' in outcome.err
              else 'wrong'] += 1
        raise
    TALLY[{'error': 'clear errors', 'usage': 'clear errors', 'reported': 'reported',
           'ok': 'handled'}[result]] += 1


# --- 1. COCO categories by name; inconsistent COCO files ---------------------


def edit_json(path: Path, edit: Callable[[dict], None]) -> None:
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))


def malignant_first(coco: dict) -> None:
    """``categories`` list malignant first, every annotation carrying the id
    whose name is right."""
    swap = {1: 2, 2: 1}
    coco['categories'] = [dict(id=1, name='malignant'), dict(id=2, name='benign')]
    for ann in coco['annotations']:
        ann['category_id'] = swap.get(ann['category_id'], ann['category_id'])


def _first(coco: dict) -> dict:
    return coco['annotations'][0]


#: fault -> (edit, what the message names besides the file)
COCO_FAULTS = dict(
    unknown_category=(lambda coco: _first(coco).update(category_id=7),
                      'annotation 1: category_id 7'),
    category_not_a_class=(lambda coco: coco['categories'][0].update(name='nevus'),
                          "category 1 'nevus'"),
    annotation_of_no_image=(lambda coco: _first(coco).update(image_id=999),
                            'annotation 1: image_id 999'),
    conflicting_labels=(lambda coco: coco['annotations'].append(
        dict(_first(coco), id=999, category_id=3 - _first(coco)['category_id'])),
        'different labels'),
    image_without_annotation=(lambda coco: coco['annotations'].pop(0), 'no lesion annotation'),
)


@pytest.mark.parametrize('fault', COCO_FAULTS)
@pytest.mark.parametrize('entry', ('train', 'test'))
def test_inconsistent_coco_file(ws, entry, fault):
    ann = ws.train_ann() if entry == 'train' else ws.test_ann()
    edit, what = COCO_FAULTS[fault]
    edit_json(ann, edit)
    outcome, before = run(ws, getattr(ws, entry))
    expect(ws, outcome, before, 'error', ann)
    assert what in outcome.error_lines[0], outcome.err


def _labels(ann: Path, test_mode: bool) -> Dict[str, int]:
    dataset = ISICDataset(ann_file=str(ann), data_root=str(ann.parents[1]), test_mode=test_mode,
                          data_prefix=dict(img=''), pipeline=[], check_images=False)
    return {Path(dataset.get_data_info(i)['img_path']).stem:
            dataset.get_data_info(i)['instances'][0]['bbox_label'] for i in range(len(dataset))}


def test_malignant_first_train(ws):
    """Training reads the labels by category name: the same as in the
    converter's order."""
    expected = _labels(ws.train_ann(), test_mode=False)
    assert sorted(set(expected.values())) == [0, 1]
    edit_json(ws.train_ann(), malignant_first)
    outcome, before = run(ws, ws.train)
    expect(ws, outcome, before, 'ok')
    assert _labels(ws.train_ann(), test_mode=False) == expected


def test_malignant_first_test(ws, base):
    """The test run scores the same labels, so the same AUC."""
    edit_json(ws.test_ann(), malignant_first)
    outcome, before = run(ws, ws.test)
    expect(ws, outcome, before, 'ok', replaced=[ws.isic_out])
    ours, normal = (read_per_image(run / 'per_image.csv') for run in (ws.isic_out, base['run']))
    for column in ('image_id', 'gt_label', 'p_malignant'):
        np.testing.assert_array_equal(ours[column], normal[column])


def test_malignant_first_area_baseline(ws):
    normal = ws.area_baseline(ws.test_ann())
    assert normal.rc == 0, normal.err
    edit_json(ws.test_ann(), malignant_first)
    outcome, before = run(ws, lambda: ws.area_baseline(ws.test_ann()))
    expect(ws, outcome, before, 'ok')


@pytest.mark.parametrize('fault', ('unknown_category', 'conflicting_labels'))
def test_inconsistent_coco_area_baseline(ws, fault):
    edit, what = COCO_FAULTS[fault]
    edit_json(ws.test_ann(), edit)
    outcome, before = run(ws, lambda: ws.area_baseline(ws.test_ann()))
    expect(ws, outcome, before, 'error', ws.test_ann())
    assert what in outcome.error_lines[0]


# --- 2. one-hot label rows that are not one-hot --------------------------------


def one_hot_labels(ws: Inputs, row: Optional[str] = None, line_end: str = '\n') -> Path:
    """The training labels in the ISIC 2018 Task 3 form (MEL, NV, BKL);
    ``row`` replaces the cells of TRAIN_ID's row."""
    lines = ['image,MEL,NV,BKL']
    for line in ws.cls_gt.read_text().splitlines()[1:]:
        image_id, melanoma = line.split(',')[:2]
        mel = int(float(melanoma))
        cells = row if image_id == TRAIN_ID and row else f'{mel}.0,{1 - mel}.0,0.0'
        lines.append(f'{image_id},{cells}')
    path = ws.tmp / 'task3.csv'
    path.write_text(line_end.join(lines) + line_end)
    return path


NOT_ONE_HOT = dict(two_diagnoses='1.0,1.0,0.0', no_diagnosis='0.0,0.0,0.0', value_two='2,0,0',
                   half='0.5,0.5,0.0', word='yes,0,0')


@pytest.mark.parametrize('row', NOT_ONE_HOT)
@pytest.mark.parametrize('entry', ('convert', 'score'))
def test_not_one_hot_row(ws, entry, row):
    labels = one_hot_labels(ws, NOT_ONE_HOT[row])
    if entry == 'convert':
        outcome, before = run(ws, lambda: ws.convert_folder(labels))
    else:
        outcome, before = run(ws, lambda: ws._run('score', ['cls', str(ws.cls_pred),
                                                            str(labels)]))
    expect(ws, outcome, before, 'error', labels)
    assert 'line 2' in outcome.error_lines[0] and TRAIN_ID in outcome.error_lines[0]


@pytest.mark.parametrize('entry', ('convert', 'score'))
def test_one_hot_rows_crlf(ws, entry):
    labels = one_hot_labels(ws, line_end='\r\n')
    if entry == 'convert':
        outcome, before = run(ws, lambda: ws.convert_folder(labels))
    else:
        outcome, before = run(ws, lambda: ws._run('score', ['cls', str(ws.cls_pred),
                                                            str(labels)]))
    expect(ws, outcome, before, 'ok')
    if entry == 'convert':
        coco = json.loads((ws.tmp / 'converted' / 'folder.json').read_text())
        truth = {line.split(',')[0]: int(float(line.split(',')[1]))
                 for line in ws.cls_gt.read_text().splitlines()[1:]}
        assert {Path(i['file_name']).stem: a['category_id'] - 1
                for i, a in zip(coco['images'], coco['annotations'])} == truth


# --- 3. text files from other programs -------------------------------------------


def latin1_crlf(path: Path) -> None:
    """Saved by a spreadsheet on Windows: Latin-1, CRLF; an accent in the
    first data row."""
    lines = path.read_text().splitlines()
    cells = lines[1].split(',')
    cells[0] += 'é'
    lines[1] = ','.join(cells)
    path.write_bytes(('\r\n'.join(lines) + '\r\n').encode('latin-1'))


def binary_garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 4)


def bom_crlf(path: Path) -> None:
    """UTF-8 with a byte-order mark and CRLF: read as the original."""
    path.write_bytes(('\r\n'.join(path.read_text().splitlines()) + '\r\n').encode('utf-8-sig'))


def other_header(path: Path) -> None:
    """A header of other columns (another program's export)."""
    lines = path.read_text().splitlines()
    lines[0] = 'image,prob' + ',x' * (len(lines[1].split(',')) - 2)
    path.write_text('\n'.join(lines) + '\n')


TEXT_FAULTS = dict(latin1_crlf=(latin1_crlf, 'line 2: byte 0xe9 is not UTF-8'),
                   binary_garbage=(binary_garbage, 'binary data'),
                   other_header=(other_header, 'image,prob'))


def _csv_entry(ws: Inputs, entry: str) -> tuple:
    """The CSV an entry point reads, and how to run it."""
    per_image = ws.run_a / 'per_image.csv'
    return dict(
        convert=(ws.root / TRAIN_CSV, ws.convert),
        score_predictions=(ws.cls_pred, ws.score_cls),
        score_labels=(ws.cls_gt, ws.score_cls),
        infer=(ws.infer_out / 'predictions.csv', ws.infer),
        compare_runs=(per_image, ws.compare),
        report=(per_image, ws.report),
        make_tables=(per_image, ws.tables))[entry]


CSV_ENTRIES = ('convert', 'score_predictions', 'score_labels', 'infer', 'compare_runs', 'report',
               'make_tables')


@pytest.mark.parametrize('fault', TEXT_FAULTS)
@pytest.mark.parametrize('entry', CSV_ENTRIES)
def test_csv_from_another_program(ws, entry, fault):
    path, tool = _csv_entry(ws, entry)
    damage, what = TEXT_FAULTS[fault]
    damage(path)
    outcome, before = run(ws, tool)
    expect(ws, outcome, before, 'error', path)
    assert what in outcome.error_lines[0], outcome.err


@pytest.mark.parametrize('entry', CSV_ENTRIES)
def test_csv_with_bom_and_crlf(ws, entry):
    path, tool = _csv_entry(ws, entry)
    bom_crlf(path)
    outcome, before = run(ws, tool)
    replaced = dict(convert=[ws.root / 'annotations']).get(entry, [])
    changed = [path] if entry == 'infer' else []
    expect(ws, outcome, before, 'ok', replaced=replaced, changed=changed)
    if entry == 'infer':
        assert EARLIER_ROW in (ws.infer_out / 'predictions.csv').read_text()


# --- 4. values outside their domain -------------------------------------------


def set_cell(path: Path, column: str, value: str, row: int = 1) -> None:
    lines = path.read_text().splitlines()
    header = lines[0].split(',')
    cells = lines[row].split(',')
    cells[header.index(column)] = value
    lines[row] = ','.join(cells)
    path.write_text('\n'.join(lines) + '\n')


PER_IMAGE_VALUES = dict(JA='1.7', DI='-0.1', p_malignant='1.5', gt_label='2', score='inf')


@pytest.mark.parametrize('column', PER_IMAGE_VALUES)
@pytest.mark.parametrize('entry', ('compare_runs', 'report', 'make_tables'))
def test_per_image_value_out_of_range(ws, entry, column):
    path, tool = _csv_entry(ws, entry)
    set_cell(path, column, PER_IMAGE_VALUES[column])
    outcome, before = run(ws, tool)
    expect(ws, outcome, before, 'error', path)
    assert f'line 2: {column}' in outcome.error_lines[0], outcome.err


def test_earlier_prediction_out_of_range_infer(ws):
    path = ws.infer_out / 'predictions.csv'
    set_cell(path, 'p_malignant', '7.5')
    outcome, before = run(ws, ws.infer)
    expect(ws, outcome, before, 'error', path)


@pytest.mark.parametrize('value', ('inf', '-0.2', 'nan'))
def test_predicted_probability_out_of_range_score(ws, value):
    set_cell(ws.cls_pred, 'melanoma', value)
    outcome, before = run(ws, ws.score_cls)
    expect(ws, outcome, before, 'error', ws.cls_pred)


#: entry -> (flag, bad value, how to run it with extra arguments)
FLAGS = dict(
    report_gallery=('--gallery', '-1', 'report'),
    report_resamples=('--ci-resamples', '0', 'report'),
    compare_resamples=('--ci-resamples', '-5', 'compare'),
    compare_seed=('--seed', '-1', 'compare'),
    tables_resamples=('--ci-resamples', 'nan', 'tables'),
    score_resamples=('--ci-resamples', '0', 'score'),
    infer_threads=('--cpu-threads', '0', 'infer'),
    convert_processes=('--nproc', '0', 'convert'),
    test_wait=('--wait-time', '-1', 'test'),
    test_resamples=('--ci-resamples', '0', 'test'),
    train_local_rank=('--local-rank', '-1', 'train'),
)


@pytest.mark.parametrize('case', FLAGS)
def test_numeric_flag_out_of_range(ws, case):
    flag, value, entry = FLAGS[case]
    extra = [flag, value]
    tools = dict(
        report=lambda: ws.report(extra), compare=lambda: ws.compare(extra),
        tables=lambda: ws.tables(extra),
        score=lambda: ws._run('score', ['cls', str(ws.cls_pred), str(ws.cls_gt), *extra]),
        infer=lambda: ws._run('infer', [str(ws.config), str(ws.checkpoint), str(ws.infer_in),
                                        '--out-dir', str(ws.infer_out), *extra]),
        convert=lambda: ws._run('convert', ['isic2017', str(ws.root), '--split', 'Training',
                                            '--out', str(ws.tmp / 'x.json'), *extra]),
        test=lambda: ws.test(extra=extra), train=lambda: ws.train(extra=extra))
    outcome, before = run(ws, tools[entry])
    expect(ws, outcome, before, 'usage', flag)


@pytest.mark.parametrize('value', ('0', '-5', '2.5'))
def test_iteration_count_out_of_range_train(ws, value):
    outcome, before = run(ws, lambda: ws.train([f'train_cfg.max_iters={value}']))
    expect(ws, outcome, before, 'error', ws.config)
    assert f'train_cfg.max_iters = {value}' in outcome.error_lines[0], outcome.err


# --- 5. EXIF orientation: images are used as stored ------------------------------


def _stored_size(path: Path) -> tuple:
    with Image.open(path) as image:
        return image.size  # (W, H) as stored, whatever the EXIF tag says


def test_exif_photo_converter(ws):
    exif_rotated(ws.train_image())
    outcome, before = run(ws, ws.convert)
    expect(ws, outcome, before, 'ok', replaced=[ws.root / 'annotations'])
    coco = json.loads(ws.train_ann().read_text())
    image = next(i for i in coco['images'] if Path(i['file_name']).stem == TRAIN_ID)
    assert (image['width'], image['height']) == _stored_size(ws.train_image())


def test_exif_photo_train(ws):
    exif_rotated(ws.train_image())
    outcome, before = run(ws, ws.train)
    expect(ws, outcome, before, 'ok')


@pytest.mark.parametrize('color_type', ('color_ignore_orientation', 'color'))
def test_exif_photo_test(ws, color_type):
    """Whatever the config's loading flag, the dataset reads the photo as stored."""
    exif_rotated(ws.test_image())
    extra = ['--cfg-options', f'test_dataloader.dataset.pipeline.0.color_type={color_type}']
    outcome, before = run(ws, lambda: ws.test(extra=extra))
    expect(ws, outcome, before, 'ok', replaced=[ws.isic_out])
    mask = cv2.imread(str(ws.isic_out / 'masks' / f'{TEST_ID}_segmentation.png'),
                      cv2.IMREAD_UNCHANGED)
    assert mask.shape[::-1] == _stored_size(ws.test_image())


def test_exif_photo_infer_scored_against_converter_ground_truth(ws):
    """infer's mask of an EXIF-tagged photo has the stored size, so the
    scorer takes it against the converter's ground truth of that photo."""
    exif_rotated(ws.infer_image())
    outcome, before = run(ws, ws.infer)
    expect(ws, outcome, before, 'ok', changed=[ws.infer_out / 'predictions.csv'])
    predicted = ws.infer_out / 'masks' / f'{TEST_ID}_segmentation.png'
    assert _mask_shape(predicted)[::-1] == _stored_size(ws.infer_image())
    pred_dir, gt_dir = ws.tmp / 'exif_pred', ws.tmp / 'exif_gt'
    pred_dir.mkdir()
    gt_dir.mkdir()
    shutil.copy(predicted, pred_dir)
    shutil.copy(ws.infer_gt_mask(), gt_dir)
    outcome, before = run(ws, lambda: ws._run('score', ['seg', str(pred_dir), str(gt_dir)]))
    expect(ws, outcome, before, 'ok')


def _mask_shape(path: Path) -> tuple:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED).shape


# --- 6. PH2 masks as distributed ------------------------------------------------


def ph2_layout(ws: Inputs, colour: bool = False) -> tuple:
    """Three training lesions in the PH2 layout: 1-bit BMP masks, one a
    24-bit BMP with equal channels (or, with ``colour``, real colour)."""
    root = ws.tmp / 'PH2Dataset'
    ids = sorted(p.stem for p in (ws.root / TRAIN_IMAGES).glob('*.jpg'))[:3]
    masks = {}
    for number, image_id in enumerate(ids, start=1):
        mask = write_ph2_case(root, number, ws.root / TRAIN_IMAGES / f'{image_id}.jpg')
        grey = np.asarray(Image.open(ws.root / TRAIN_MASKS / f'{image_id}_segmentation.png'))
        if number == 2:
            rgb = np.dstack([grey] * 3)
            if colour:
                rgb[..., 0] = 255 - rgb[..., 0]
            Image.fromarray(rgb, 'RGB').save(mask)
        else:
            Image.fromarray(grey).convert('1').save(mask)
        masks[f'IMD{number:03d}'] = (mask, grey > 128)
    write_ph2_table(root, masks)
    return root, masks


def test_ph2_grey_bmp_masks_converter(ws):
    root, masks = ph2_layout(ws)
    outcome, before = run(ws, lambda: ws.convert_ph2(root))
    expect(ws, outcome, before, 'ok')
    coco = json.loads((ws.tmp / 'converted' / 'ph2.json').read_text())
    assert len(coco['images']) == len(masks)
    for image, ann in zip(coco['images'], coco['annotations']):
        np.testing.assert_array_equal(mask_utils.decode(ann['segmentation']).astype(bool),
                                      masks[image['isic_id']][1])


def test_ph2_colour_mask_converter(ws):
    root, masks = ph2_layout(ws, colour=True)
    outcome, before = run(ws, lambda: ws.convert_ph2(root))
    expect(ws, outcome, before, 'error', masks['IMD002'][0])
    assert 'BMP' in outcome.error_lines[0] and 'PNG' not in outcome.error_lines[0]


def _rgb_mask(path: Path, colour: bool) -> None:
    grey = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    rgb = np.dstack([grey] * 3)
    if colour:
        rgb[..., 1] = 0
    cv2.imwrite(str(path), rgb)


@pytest.mark.parametrize('colour', (False, True), ids=('grey', 'colour'))
@pytest.mark.parametrize('entry', ('score', 'infer'))
def test_three_channel_mask(ws, entry, colour):
    mask = ws.seg_gt_mask() if entry == 'score' else ws.infer_gt_mask()
    _rgb_mask(mask, colour)
    tool = ws.score_seg if entry == 'score' else (lambda: ws.infer(gt=True))
    outcome, before = run(ws, tool)
    changed = [ws.infer_out / 'predictions.csv'] if entry == 'infer' else []
    if not colour:
        expect(ws, outcome, before, 'ok', changed=changed)
    elif entry == 'score':
        expect(ws, outcome, before, 'error', mask)
        assert 'PNG' in outcome.error_lines[0]
    else:  # the photo is processed, drawn without its ground truth
        expect(ws, outcome, before, 'reported', mask, changed=changed)
