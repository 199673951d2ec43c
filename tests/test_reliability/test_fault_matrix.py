"""The fault matrix: bad input of every kind a user meets, crossed with every
entry point that reads it, and faults of the output folders.

Each case asserts the exit status, that the report is one line naming the
file (or folder) at fault, that no traceback escapes, and that the files an
earlier run wrote are intact. Unusual but valid input (grayscale, RGBA,
16-bit, EXIF-rotated photos, an empty or noisy ground-truth mask) must work.
The entry points run in this process through their ``main()`` (an exception
escaping ``main()`` is what prints a traceback); the cases that need a
process of their own (a size limit on files, ``kill -9``) run the tools as
the user does. The counts are printed at the end of the module (``-s``) and
recorded in docs/reliability.md.
"""
import contextlib
import csv
import importlib.util
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import cv2
import mmengine
import numpy as np
import pytest
from PIL import Image

import mmskin.utils.atomic_write as atomic_write
from mmskin.utils import mark_output_folder

REPO = Path(__file__).resolve().parents[2]
TRAIN_IMAGES = 'ISIC-2017_Training_Data'
TRAIN_MASKS = 'ISIC-2017_Training_Part1_GroundTruth'
TRAIN_CSV = 'ISIC-2017_Training_Part3_GroundTruth.csv'
TEST_IMAGES = 'ISIC-2017_Test_v2_Data'
TEST_MASKS = 'ISIC-2017_Test_v2_Part1_GroundTruth'
#: The image every input fault is applied to (in the annotation files too).
TRAIN_ID, TEST_ID = 'ISIC_0000000', 'ISIC_0000016'
#: Test images kept in the test annotation, to keep each test run short.
NUM_TEST = 2
TOOLS = dict(convert='tools/dataset_converters/isic_to_coco.py', train='tools/train.py',
             test='tools/test.py', infer='tools/infer.py', score='tools/analysis/isic_score.py')
#: The row of predictions.csv that an earlier inference run wrote.
EARLIER_ROW = 'earlier_photo,0,0.250000,0.900000,1,1.00,2.00,3.00,4.00,5'
#: Outcome of each case, printed at the end of the module.
TALLY: Counter = Counter()


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f'fault_matrix_{name}', REPO / TOOLS[name])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- damaged and unusual files ---------------------------------------------


def _photo(path: Path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def corrupt_jpeg(path: Path) -> None:
    path.write_bytes(b'\xff\xd8\xff\xe0' + bytes(range(256)) * 8)


def truncated_jpeg(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def zero_byte_jpeg(path: Path) -> None:
    path.write_bytes(b'')


def grayscale(path: Path) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(_photo(path), cv2.COLOR_BGR2GRAY))


def rgba(path: Path) -> None:
    """RGBA PNG content (the file keeps its name: decoders read the content)."""
    rgb = _photo(path)[..., ::-1]
    alpha = np.full(rgb.shape[:2], 200, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([rgb, alpha]), 'RGBA').save(buffer, format='PNG')
    path.write_bytes(buffer.getvalue())


def sixteen_bit(path: Path) -> None:
    gray = cv2.cvtColor(_photo(path), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    ok, buffer = cv2.imencode('.png', gray)
    assert ok
    path.write_bytes(buffer.tobytes())


def exif_rotated(path: Path) -> None:
    """The same stored pixels, with EXIF orientation 6 (shown turned 90 degrees)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(_photo(path)[..., ::-1]).save(path, format='JPEG', exif=exif, quality=95)


def replaced_photo(path: Path) -> None:
    """Another photo of another size under the same name."""
    photo = _photo(path)
    cv2.imwrite(str(path), cv2.resize(photo, (photo.shape[1] + 20, photo.shape[0] + 10)))


def _mask(path: Path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def mask_wrong_size(path: Path) -> None:
    mask = _mask(path)
    cv2.imwrite(str(path), cv2.resize(mask, (mask.shape[1] + 7, mask.shape[0]),
                                      interpolation=cv2.INTER_NEAREST))


def mask_zero_one(path: Path) -> None:
    cv2.imwrite(str(path), (_mask(path) > 128).astype(np.uint8))


def mask_empty(path: Path) -> None:
    cv2.imwrite(str(path), np.zeros_like(_mask(path)))


def mask_noisy(path: Path) -> None:
    """JPEG-like noise: values near 0 and 255, none crossing 128."""
    mask = _mask(path).astype(int)
    noise = np.random.default_rng(0).integers(0, 40, mask.shape)
    cv2.imwrite(str(path), np.where(mask > 128, 255 - noise, noise).astype(np.uint8))


def _edit_csv(path: Path, edit: Callable[[List[str]], List[str]]) -> None:
    path.write_text('\n'.join(edit(path.read_text().splitlines())) + '\n')


# --- workspace and outcome ---------------------------------------------------


@dataclass
class Outcome:
    rc: object  # exit status, or 'traceback'
    err: str  # what the user reads on stderr

    @property
    def error_lines(self) -> List[str]:
        return [line for line in self.err.splitlines() if line.startswith('error: ')]


def in_process(main: Callable, argv: List[str], uses_sys_argv: bool = False) -> Outcome:
    """Run a tool's ``main()`` as its ``__main__`` block would; an exception
    escaping it is what would print a traceback."""
    err = io.StringIO()
    saved_argv = sys.argv
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            if uses_sys_argv:
                sys.argv = ['tool', *argv]
                rc = main()
            else:
                rc = main(argv)
            rc = rc or 0
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            err.write(exit_.code + '\n')
            rc = 1
        else:
            rc = exit_.code or 0
    except Exception:  # noqa: BLE001  the matrix counts it as a traceback
        err.write(traceback.format_exc())
        rc = 'traceback'
    finally:
        sys.argv = saved_argv
    return Outcome(rc, err.getvalue())


def as_subprocess(tool: str, argv: List[str], file_size_limit: Optional[int] = None,
                  timeout: int = 300) -> Outcome:
    """Run a tool as the user does; with a limit on the size of any file
    written (``RLIMIT_FSIZE``: a full disk, for root too)."""

    def limit():
        if file_size_limit is not None:
            # Ignored SIGXFSZ: the write fails with EFBIG, as on a full disk.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, str(REPO / TOOLS[tool]), *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    return Outcome(proc.returncode, proc.stderr)


def snapshot(folder: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob('*')) if p.is_file()}


class Workspace:
    """A private copy of the tiny ISIC 2017 data, a trained tiny model, and
    the outputs of an earlier run of each tool."""

    def __init__(self, base: dict, tmp_path: Path) -> None:
        self.root = tmp_path / 'data'
        shutil.copytree(base['root'], self.root)
        self.config, self.checkpoint = base['config'], base['checkpoint']
        self.tmp = tmp_path
        self.work_dir = tmp_path / 'work'
        self.isic_out = tmp_path / 'results' / 'isic_out'
        self.infer_out = tmp_path / 'infer_out'
        self.infer_in = tmp_path / 'photos'
        self.seg_pred = tmp_path / 'seg_pred'
        self.seg_gt = tmp_path / 'seg_gt'
        self.cls_pred = tmp_path / 'cls_pred.csv'
        self.cls_gt = self.root / TRAIN_CSV
        # Earlier outputs: a checkpoint, a test run, an inference run.
        self.work_dir.mkdir()
        (self.work_dir / 'iter_7.pth').write_bytes(b'earlier checkpoint')
        (self.work_dir / 'last_checkpoint').write_text(str(self.work_dir / 'iter_7.pth'))
        (self.isic_out / 'masks').mkdir(parents=True)
        mark_output_folder(self.isic_out)  # written by a run: the next may replace it
        (self.isic_out / 'per_image.csv').write_text('image_id\nISIC_9999999\n')
        cv2.imwrite(str(self.isic_out / 'masks' / 'ISIC_9999999_segmentation.png'),
                    np.zeros((4, 4), np.uint8))
        shutil.copytree(base['infer_out'], self.infer_out)
        # Inference input: one photo besides the one a case damages.
        self.infer_in.mkdir()
        for image_id in (TEST_ID, 'ISIC_0000017'):
            shutil.copy(self.root / TEST_IMAGES / f'{image_id}.jpg', self.infer_in)
        # Scoring input: ground truth, and predictions equal to it.
        self.seg_gt.mkdir()
        for mask in sorted((self.root / TRAIN_MASKS).iterdir())[:3]:
            shutil.copy(mask, self.seg_gt)
        shutil.copytree(self.seg_gt, self.seg_pred)
        ids = [line.split(',')[0] for line in self.cls_gt.read_text().splitlines()[1:]]
        self.cls_pred.write_text('image_id,melanoma\n' + ''.join(f'{i},0.25\n' for i in ids))
        self.earlier = {folder: snapshot(folder) for folder in
                        (self.work_dir, self.isic_out, self.infer_out, self.root / 'annotations')}

    def data_options(self) -> List[str]:
        return ['--cfg-options', f'train_dataloader.dataset.data_root={self.root}',
                f'test_dataloader.dataset.data_root={self.root}']

    # the entry points

    def convert(self, **kwargs) -> Outcome:
        argv = ['isic2017', str(self.root), '--split', 'Training', '--out',
                str(self.root / 'annotations' / 'isic2017_train.json')]
        return self._run('convert', argv, **kwargs)

    def train(self, extra: List[str] = (), **kwargs) -> Outcome:
        argv = [str(self.config), '--work-dir', str(self.work_dir), *self.data_options(),
                'train_cfg.max_iters=1', 'default_hooks.checkpoint.interval=100',
                'default_hooks.checkpoint.save_last=False', *extra]
        return self._run('train', argv, uses_sys_argv=True, **kwargs)

    def test(self, checkpoint: Optional[Path] = None, extra: List[str] = (),
             **kwargs) -> Outcome:
        argv = [str(self.config), str(checkpoint or self.checkpoint), '--work-dir',
                str(self.tmp / 'test_work'), '--isic-out', str(self.isic_out),
                *self.data_options(), *extra]
        return self._run('test', argv, uses_sys_argv=True, **kwargs)

    def infer(self, gt: bool = False, checkpoint: Optional[Path] = None, **kwargs) -> Outcome:
        argv = [str(self.config), str(checkpoint or self.checkpoint), str(self.infer_in),
                '--out-dir', str(self.infer_out), '--device', 'cpu']
        if gt:
            argv += ['--gt-masks', str(self.root / TEST_MASKS)]
        return self._run('infer', argv, **kwargs)

    def score_seg(self, **kwargs) -> Outcome:
        return self._run('score', ['seg', str(self.seg_pred), str(self.seg_gt)], **kwargs)

    def score_cls(self, **kwargs) -> Outcome:
        return self._run('score', ['cls', str(self.cls_pred), str(self.cls_gt)], **kwargs)

    def _run(self, tool: str, argv: List[str], uses_sys_argv: bool = False,
             subprocess_limit: Optional[int] = None, subprocess_run: bool = False) -> Outcome:
        if subprocess_run or subprocess_limit is not None:
            return as_subprocess(tool, argv, subprocess_limit)
        return in_process(_load_tool(tool).main, argv, uses_sys_argv)

    # what a case damages

    def train_image(self) -> Path:
        return self.root / TRAIN_IMAGES / f'{TRAIN_ID}.jpg'

    def test_image(self) -> Path:
        return self.root / TEST_IMAGES / f'{TEST_ID}.jpg'

    def infer_image(self) -> Path:
        return self.infer_in / f'{TEST_ID}.jpg'

    def train_mask(self) -> Path:
        return self.root / TRAIN_MASKS / f'{TRAIN_ID}_segmentation.png'

    def infer_gt_mask(self) -> Path:
        return self.root / TEST_MASKS / f'{TEST_ID}_segmentation.png'

    def seg_gt_mask(self) -> Path:
        return self.seg_gt / f'{TRAIN_ID}_segmentation.png'

    def seg_pred_mask(self) -> Path:
        return self.seg_pred / f'{TRAIN_ID}_segmentation.png'

    def check_earlier_outputs(self, replaced: Optional[Path] = None) -> List[str]:
        """Files of the earlier runs that were lost or changed (a folder
        ``replaced`` by a whole successful run is left out)."""
        lost = []
        for folder, files in self.earlier.items():
            if folder == replaced:
                continue
            now = snapshot(folder) if folder.is_dir() else {}
            # predictions.csv gains the rows of new photos: its earlier row
            # must be kept as it was.
            lost += [f'{folder / name}' for name, data in files.items() if now.get(name) != data
                     and (folder, name) != (self.infer_out, 'predictions.csv')]
        rows = (self.infer_out / 'predictions.csv').read_text().splitlines()
        if EARLIER_ROW not in rows:
            lost.append(f'{self.infer_out / "predictions.csv"}: the earlier row')
        return lost


def make_base(tiny_trained: dict, folder: Path) -> dict:
    """The tiny data with a test annotation of NUM_TEST images, the trained
    tiny model, and an earlier inference folder, under ``folder``."""
    root = folder / 'data'
    shutil.copytree(tiny_trained['data']['data_root'], root)
    test_ann = root / tiny_trained['data']['test_ann']
    coco = json.loads(test_ann.read_text())
    coco['images'] = coco['images'][:NUM_TEST]
    kept = {image['id'] for image in coco['images']}
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] in kept]
    test_ann.write_text(json.dumps(coco))
    assert [Path(i['file_name']).stem for i in coco['images']][0] == TEST_ID
    infer_out = folder / 'infer_out'
    (infer_out / 'masks').mkdir(parents=True)
    (infer_out / 'overlays').mkdir()
    row = EARLIER_ROW
    from mmskin.evaluation import LESION_COLUMNS
    (infer_out / 'predictions.csv').write_text(','.join(LESION_COLUMNS) + '\n' + row + '\n')
    cv2.imwrite(str(infer_out / 'masks' / 'earlier_photo_segmentation.png'),
                np.zeros((4, 4), np.uint8))
    cv2.imwrite(str(infer_out / 'overlays' / 'earlier_photo.jpg'), np.zeros((4, 4, 3), np.uint8))
    return dict(root=root, config=tiny_trained['config'], checkpoint=tiny_trained['checkpoint'],
                infer_out=infer_out)


@pytest.fixture(scope='module')
def base(tiny_trained, tmp_path_factory):
    """The matrix's data, model and earlier outputs (:func:`make_base`)."""
    yield make_base(tiny_trained, tmp_path_factory.mktemp('matrix_base'))
    print(f'\nfault matrix: {sum(TALLY.values())} cases: ' +
          ', '.join(f'{n} {kind}' for kind, n in sorted(TALLY.items())))


@pytest.fixture
def ws(base, tmp_path) -> Workspace:
    return Workspace(base, tmp_path)


def expect(ws: Workspace, outcome: Outcome, result: str, named: Optional[Path] = None,
           replaced: Optional[Path] = None, rc: Optional[int] = None) -> None:
    """Assert a case's outcome and count it.

    Args:
        result: 'error' (non-zero exit, one ``error:`` line naming ``named``),
            'reported' (the run goes on; a line names ``named``; exit ``rc``)
            or 'ok' (exit 0).
        replaced: an output folder a successful run may replace as a whole.
    """
    try:
        assert outcome.rc != 'traceback' and 'Traceback' not in outcome.err, outcome.err
        lost = ws.check_earlier_outputs(replaced)
        assert not lost, f'earlier outputs lost or changed: {lost}'
        if result == 'error':
            assert outcome.rc not in (0, None), outcome.err
            assert len(outcome.error_lines) == 1, outcome.err
            if named is not None:
                assert str(named) in outcome.error_lines[0], outcome.err
        elif result == 'reported':
            assert outcome.rc == (rc or 0), outcome.err
            assert named is None or str(named) in outcome.err, outcome.err
            assert not outcome.error_lines, outcome.err
        else:
            assert outcome.rc == 0, outcome.err
            assert not outcome.error_lines, outcome.err
    except AssertionError:
        TALLY['traceback' if outcome.rc == 'traceback' or 'Traceback' in outcome.err
              else 'wrong'] += 1
        raise
    TALLY[{'error': 'clear errors', 'reported': 'reported and carried on',
           'ok': 'handled'}[result]] += 1


# --- bad input x entry points --------------------------------------------------

PHOTO_DAMAGE = dict(corrupt_jpeg=corrupt_jpeg, truncated_jpeg=truncated_jpeg,
                    zero_byte_jpeg=zero_byte_jpeg)
PHOTO_KINDS = dict(grayscale=grayscale, rgba=rgba, sixteen_bit=sixteen_bit,
                   exif_rotated=exif_rotated)


@pytest.mark.parametrize('damage', PHOTO_DAMAGE)
def test_damaged_photo_converter(ws, damage):
    PHOTO_DAMAGE[damage](ws.train_image())
    expect(ws, ws.convert(), 'error', ws.train_image())


@pytest.mark.parametrize('damage', PHOTO_DAMAGE)
def test_damaged_photo_train(ws, damage):
    PHOTO_DAMAGE[damage](ws.train_image())
    expect(ws, ws.train(), 'error', ws.train_image())


@pytest.mark.parametrize('damage', PHOTO_DAMAGE)
def test_damaged_photo_test(ws, damage):
    PHOTO_DAMAGE[damage](ws.test_image())
    expect(ws, ws.test(), 'error', ws.test_image())


@pytest.mark.parametrize('damage', PHOTO_DAMAGE)
def test_damaged_photo_infer(ws, damage):
    PHOTO_DAMAGE[damage](ws.infer_image())
    outcome = ws.infer()
    expect(ws, outcome, 'reported', ws.infer_image(), rc=1)
    rows = (ws.infer_out / 'predictions.csv').read_text()
    assert 'ISIC_0000017' in rows and TEST_ID not in rows


@pytest.mark.parametrize('kind', PHOTO_KINDS)
def test_unusual_photo_converter(ws, kind):
    PHOTO_KINDS[kind](ws.train_image())
    expect(ws, ws.convert(), 'ok', replaced=ws.root / 'annotations')


@pytest.mark.parametrize('kind', PHOTO_KINDS)
def test_unusual_photo_train(ws, kind):
    PHOTO_KINDS[kind](ws.train_image())
    expect(ws, ws.train(), 'ok')


@pytest.mark.parametrize('kind', PHOTO_KINDS)
def test_unusual_photo_test(ws, kind):
    PHOTO_KINDS[kind](ws.test_image())
    expect(ws, ws.test(), 'ok', replaced=ws.isic_out)
    assert len((ws.isic_out / 'per_image.csv').read_text().splitlines()) == NUM_TEST + 1
    assert len(list((ws.isic_out / 'masks').iterdir())) == NUM_TEST


@pytest.mark.parametrize('kind', PHOTO_KINDS)
def test_unusual_photo_infer(ws, kind):
    PHOTO_KINDS[kind](ws.infer_image())
    expect(ws, ws.infer(), 'ok')
    mask = _mask(ws.infer_out / 'masks' / f'{TEST_ID}_segmentation.png')
    with Image.open(ws.infer_image()) as stored:  # used as stored, an EXIF tag ignored
        width, height = stored.size
    assert mask.shape == (height, width)


MASK_FAULTS = dict(mask_wrong_size=mask_wrong_size, mask_zero_one=mask_zero_one,
                   mask_empty=mask_empty, mask_non_binary=mask_noisy)


@pytest.mark.parametrize('fault', MASK_FAULTS)
def test_bad_mask_converter(ws, fault):
    MASK_FAULTS[fault](ws.train_mask())
    expect(ws, ws.convert(), 'error', ws.train_mask())


@pytest.mark.parametrize('fault', MASK_FAULTS)
def test_bad_ground_truth_mask_infer(ws, fault):
    """A ground-truth mask that cannot be drawn is reported; the photo is
    still processed."""
    MASK_FAULTS[fault](ws.infer_gt_mask())
    outcome = ws.infer(gt=True)
    if fault in ('mask_wrong_size', 'mask_zero_one'):
        expect(ws, outcome, 'reported', ws.infer_gt_mask())
    else:
        expect(ws, outcome, 'ok')
    assert TEST_ID in (ws.infer_out / 'predictions.csv').read_text()


@pytest.mark.parametrize('fault', MASK_FAULTS)
def test_bad_ground_truth_mask_score(ws, fault):
    """The scorer's rule: wrong size and 0/1 ground truth are errors; an
    empty or noisy mask is scored as the official scorer scores it."""
    MASK_FAULTS[fault](ws.seg_gt_mask())
    outcome = ws.score_seg()
    if fault in ('mask_wrong_size', 'mask_zero_one'):
        expect(ws, outcome, 'error', ws.seg_gt_mask())
    else:
        expect(ws, outcome, 'ok')


@pytest.mark.parametrize('fault', ('mask_wrong_size', 'mask_zero_one'))
def test_bad_predicted_mask_score(ws, fault):
    MASK_FAULTS[fault](ws.seg_pred_mask())
    outcome = ws.score_seg()
    if fault == 'mask_wrong_size':
        expect(ws, outcome, 'error', ws.seg_pred_mask())
    else:  # scored as all background, with a warning naming it
        expect(ws, outcome, 'reported', ws.seg_pred_mask().name)


def test_missing_image_converter(ws):
    ws.train_image().unlink()
    expect(ws, ws.convert(), 'error', ws.root / TRAIN_CSV)


@pytest.mark.parametrize('entry', ('train', 'test'))
def test_missing_image_train_test(ws, entry):
    image = ws.train_image() if entry == 'train' else ws.test_image()
    image.unlink()
    expect(ws, getattr(ws, entry)(), 'error', image)


@pytest.mark.parametrize('entry', ('train', 'test'))
def test_wrong_data_prefix(ws, entry):
    outcome = getattr(ws, entry)(extra=[f'{entry}_dataloader.dataset.data_prefix.img=images/'])
    expect(ws, outcome, 'error', ws.root / 'images')
    assert 'data_prefix' in outcome.error_lines[0]


def test_missing_prediction_score(ws):
    _edit_csv(ws.cls_pred, lambda lines: lines[:-1])
    expect(ws, ws.score_cls(), 'error', ws.cls_pred)


def test_missing_row_converter(ws):
    _edit_csv(ws.root / TRAIN_CSV, lambda lines: [line for line in lines if TRAIN_ID not in line])
    expect(ws, ws.convert(), 'error', ws.train_image())


def test_missing_row_score(ws):
    """A prediction without ground truth is listed and ignored."""
    _edit_csv(ws.cls_gt, lambda lines: [line for line in lines if TRAIN_ID not in line])
    expect(ws, ws.score_cls(), 'reported', TRAIN_ID)


@pytest.mark.parametrize('where', ('labels', 'predictions'))
def test_duplicate_id(ws, where):
    path = ws.root / TRAIN_CSV if where == 'labels' else ws.cls_pred
    _edit_csv(path, lambda lines: lines + [lines[1]])
    outcome = ws.convert() if where == 'labels' else ws.score_cls()
    expect(ws, outcome, 'error', path)
    assert 'twice' in outcome.error_lines[0]


def test_duplicate_id_infer(ws):
    """Two photos with one name stem would write the same files."""
    cv2.imwrite(str(ws.infer_in / f'{TEST_ID}.png'), _photo(ws.infer_image()))
    expect(ws, ws.infer(), 'reported', ws.infer_in / f'{TEST_ID}.png', rc=1)


@pytest.mark.parametrize('entry', ('convert', 'score_cls'))
def test_unknown_label(ws, entry):
    _edit_csv(ws.root / TRAIN_CSV,
              lambda lines: [lines[0], f'{TRAIN_ID},maybe,0.0', *lines[2:]])
    expect(ws, getattr(ws, entry)(), 'error', ws.root / TRAIN_CSV)


def test_id_that_is_a_path_converter(ws):
    _edit_csv(ws.root / TRAIN_CSV, lambda lines: lines + ['../../escape,0.0,0.0'])
    outcome = ws.convert()
    expect(ws, outcome, 'error', ws.root / TRAIN_CSV)
    assert 'path separators' in outcome.error_lines[0]


@pytest.mark.parametrize('entry', ('train', 'test'))
def test_image_replaced_after_conversion(ws, entry):
    image = ws.train_image() if entry == 'train' else ws.test_image()
    height, width = _photo(image).shape[:2]
    replaced_photo(image)
    outcome = getattr(ws, entry)()
    expect(ws, outcome, 'error', image)
    assert f'{width + 20}x{height + 10}' in outcome.error_lines[0]
    assert f'{width}x{height}' in outcome.error_lines[0]


ANNOTATION_FAULTS = dict(
    empty=lambda path: path.write_bytes(b''),
    missing=lambda path: path.unlink(),
    not_json=lambda path: path.write_text(path.read_text()[:100]),
    no_images=lambda path: path.write_text(json.dumps(dict(images=[], annotations=[],
                                                           categories=[]))))


@pytest.mark.parametrize('fault', ANNOTATION_FAULTS)
@pytest.mark.parametrize('entry', ('train', 'test'))
def test_bad_annotation_file(ws, entry, fault):
    ann = ws.root / 'annotations' / f'isic2017_{entry}.json'
    ANNOTATION_FAULTS[fault](ann)
    ws.earlier[ws.root / 'annotations'] = snapshot(ws.root / 'annotations')
    expect(ws, getattr(ws, entry)(), 'error', ann)


# --- faults of the output folders and of the run ------------------------------


def _read_only(folder: Path, monkeypatch) -> None:
    """A folder no file can be created in: chmod 0o555, or (as root, whom
    permissions do not stop) the EACCES that such a folder gives."""
    folder.chmod(0o555)
    probe = folder / '.probe'
    try:
        probe.write_bytes(b'')
    except PermissionError:
        return
    probe.unlink()
    mkstemp = atomic_write.tempfile.mkstemp

    def refused(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve().is_relative_to(folder.resolve()):
            raise PermissionError(13, 'Permission denied', str(folder))
        return mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(atomic_write.tempfile, 'mkstemp', refused)


@pytest.mark.parametrize('entry', ('convert', 'train', 'test', 'infer'))
def test_read_only_output_folder(ws, entry, monkeypatch):
    # test.py writes beside --isic-out (a staging folder), so its parent is
    # what must be writable.
    folder = dict(convert=ws.root / 'annotations', train=ws.work_dir, test=ws.isic_out.parent,
                  infer=ws.infer_out)[entry]
    _read_only(folder, monkeypatch)
    try:
        outcome = getattr(ws, entry)()
    finally:
        folder.chmod(0o755)
    expect(ws, outcome, 'error', folder)
    assert 'not writable' in outcome.error_lines[0] or 'Permission denied' in \
        outcome.error_lines[0]


@pytest.mark.parametrize('entry', ('convert', 'train'))
def test_full_disk_size_limited_process(ws, entry):
    """A file size limit makes the converter's JSON or the checkpoint fail
    to write (EFBIG), as a full disk does: one line naming the file, the
    earlier files intact, no partial file left."""
    if entry == 'convert':
        outcome = ws.convert(subprocess_limit=2000)
        named = ws.root / 'annotations' / 'isic2017_train.json'
    else:
        outcome = ws.train(['default_hooks.checkpoint.interval=1'], subprocess_limit=1 << 20)
        named = ws.work_dir / 'iter_1.pth'
    expect(ws, outcome, 'error', named)
    assert not [p for p in named.parent.iterdir() if p.name.endswith(('.part', '.tmp'))]


def _disk_fills_while_writing(monkeypatch, hit: Callable[[Path], bool]) -> None:
    """Writes of the (temporary) files ``hit`` picks reach the disk one byte
    short, as on a full disk."""
    getsize = atomic_write.os.path.getsize

    def short(path):
        return getsize(path) - int(hit(Path(path)))

    monkeypatch.setattr(atomic_write.os.path, 'getsize', short)


@pytest.mark.parametrize('entry', ('test', 'infer'))
def test_full_disk_while_writing_masks(ws, entry, monkeypatch):
    """The disk fills while the masks are written (a write that reaches the
    disk short): one line naming the file; the earlier outputs intact."""
    masks = (ws.isic_out.with_name(f'.{ws.isic_out.name}.partial') if entry == 'test'
             else ws.infer_out) / 'masks'
    _disk_fills_while_writing(monkeypatch, lambda path: path.parent == masks)
    outcome = getattr(ws, entry)()
    expect(ws, outcome, 'error', masks)
    assert 'bytes reached the disk' in outcome.error_lines[0]


def _earlier_dump(ws, kept: bool) -> Path:
    """An earlier run's ``--out`` pickle; ``kept``: among the earlier outputs
    the case must leave as they were."""
    dump = ws.tmp / 'dumps' / 'raw.pkl'
    dump.parent.mkdir()
    dump.write_bytes(b'earlier dump')
    if kept:
        ws.earlier[dump.parent] = snapshot(dump.parent)
    return dump


def test_raw_dump_out(ws):
    """``tools/test.py --out`` writes mmdet's dump of every detection (masks
    as RLE) for each test image, replacing the earlier file whole."""
    dump = _earlier_dump(ws, kept=False)
    outcome = ws.test(extra=['--out', str(dump)])
    expect(ws, outcome, 'ok', replaced=ws.isic_out)
    results = mmengine.load(dump)
    with open(ws.isic_out / 'per_image.csv', newline='') as f:
        test_ids = sorted(row['image_id'] for row in csv.DictReader(f))
    assert len(test_ids) >= 2
    assert sorted(Path(r['img_path']).stem for r in results) == test_ids
    for result in results:
        pred = result['pred_instances']
        assert len(pred['masks']) == len(pred['bboxes']) == len(pred['scores'])
        assert all(set(rle) == {'size', 'counts'} for rle in pred['masks'])
        assert all(rle['size'] == list(result['ori_shape']) for rle in pred['masks'])
    assert sum(len(r['pred_instances']['bboxes']) for r in results) > 0
    assert not [p for p in dump.parent.iterdir() if p.name != dump.name]


def test_full_disk_while_writing_raw_dump(ws, monkeypatch):
    """The disk fills while the ``--out`` pickle is written: one line naming
    it, the earlier pickle intact, no temporary file left."""
    dump = _earlier_dump(ws, kept=True)
    _disk_fills_while_writing(monkeypatch, lambda path: path.name.startswith(f'.{dump.name}'))
    outcome = ws.test(extra=['--out', str(dump)])
    expect(ws, outcome, 'error', dump)
    assert 'bytes reached the disk' in outcome.error_lines[0]
    assert [p.name for p in dump.parent.iterdir()] == [dump.name]


def _flip_a_weight(checkpoint: Path, out: Path) -> None:
    """Flip one exponent bit of a float in the largest tensor record: the
    file is still a valid zip archive and loads."""
    import zipfile
    data = bytearray(checkpoint.read_bytes())
    with zipfile.ZipFile(checkpoint) as archive:
        info = max((i for i in archive.infolist() if '/data/' in i.filename),
                   key=lambda i: i.file_size)
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], 'little')
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], 'little')
    start = info.header_offset + 30 + name_len + extra_len
    data[start + (info.file_size // 8) * 4 + 3] ^= 0x40
    out.write_bytes(bytes(data))
    assert zipfile.is_zipfile(out)


@pytest.mark.parametrize('entry', ('train', 'test', 'infer'))
def test_checkpoint_with_flipped_bits(ws, entry):
    flipped = ws.tmp / 'flipped.pth'
    _flip_a_weight(ws.checkpoint, flipped)
    if entry == 'train':
        outcome = ws.train(['load_from=' + str(flipped)])
    else:
        outcome = getattr(ws, entry)(checkpoint=flipped)
    expect(ws, outcome, 'error', flipped)
    assert 'damaged' in outcome.error_lines[0]


def test_non_finite_loss_train(ws):
    outcome = ws.train(['optim_wrapper.optimizer.lr=1e30', 'train_cfg.max_iters=3'])
    expect(ws, outcome, 'error')
    assert outcome.error_lines[0].startswith('error: iteration 2: the loss is ')
    assert 'loss_mask=' in outcome.error_lines[0]


def test_non_finite_weights_are_never_saved(ws):
    """lr 3e38 without warm-up or clipping: the weights overflow in the
    first step while its loss was finite; the checkpoint is refused."""
    outcome = ws.train(['optim_wrapper.optimizer.lr=3e38', 'optim_wrapper.clip_grad=None',
                        'param_scheduler.0.start_factor=1.0',
                        'default_hooks.checkpoint.interval=1'])
    expect(ws, outcome, 'error', ws.work_dir / 'iter_1.pth')
    assert 'the weights are not finite' in outcome.error_lines[0]
    assert not list(ws.work_dir.glob('iter_1.pth*'))


# --- interrupted runs ----------------------------------------------------------


#: Runs a tool with one module function made to hang after its n-th call, so
#: that a kill lands at that point however fast the machine is.
_PAUSED_RUN = """
import importlib, runpy, sys, time
module_name, function_name, calls, tool = sys.argv[1:5]
module = importlib.import_module(module_name)
original = getattr(module, function_name)
count = [0]

def paused(*args, **kwargs):
    result = original(*args, **kwargs)
    count[0] += 1
    if count[0] == int(calls):
        time.sleep(600)
    return result

setattr(module, function_name, paused)
sys.argv = [tool, *sys.argv[5:]]
runpy.run_path(tool, run_name='__main__')
"""


def _start(tool: str, argv: List[str], pause_after: Optional[str] = None) -> subprocess.Popen:
    """Start a tool; ``pause_after='module:function:n'`` makes the run hang
    after the n-th call of that function (the point a test kills it at)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS='ignore')
    command = [sys.executable, str(REPO / TOOLS[tool]), *argv]
    if pause_after is not None:
        command = [sys.executable, '-c', _PAUSED_RUN, *pause_after.split(':'),
                   str(REPO / TOOLS[tool]), *argv]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, ready: Callable[[], bool], sig=signal.SIGKILL,
               timeout: float = 240) -> None:
    deadline = time.time() + timeout
    try:
        while not ready():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.time() < deadline, 'the run never reached the point to kill it at'
            time.sleep(0.05)
    except AssertionError:
        proc.kill()  # not left hanging in its pause
        proc.wait(timeout=60)
        raise
    proc.send_signal(sig)
    proc.wait(timeout=60)


def _infer_consistent(out: Path) -> List[str]:
    """Ids whose outputs are not all there, or there without their row."""
    with open(out / 'predictions.csv', newline='') as f:
        rows = {row['image_id'] for row in csv.DictReader(f)}
    masks = {p.name[:-len('_segmentation.png')] for p in (out / 'masks').iterdir()
             if not p.name.startswith('.')}
    overlays = {p.stem for p in (out / 'overlays').iterdir() if not p.name.startswith('.')}
    return sorted(rows ^ masks | rows ^ overlays)


@pytest.mark.parametrize('sig', (signal.SIGKILL, signal.SIGTERM), ids=('kill-9', 'sigterm'))
def test_killed_infer(ws, sig):
    """Killed while writing the second photo's files: the first photo's
    outputs and the earlier run's are whole; with SIGTERM nothing is left
    half-written, after kill -9 the next run finishes or undoes the
    interrupted photo, and keeps every earlier row."""
    for index in range(2):
        shutil.copy(ws.infer_image(), ws.infer_in / f'photo_{index}.jpg')
    proc = _start('infer', [str(ws.config), str(ws.checkpoint), str(ws.infer_in), '--out-dir',
                            str(ws.infer_out), '--device', 'cpu'],
                  # the first photo's mask and overlay, then the second's mask
                  pause_after='mmskin.apis.result_writer:write_bytes_atomic:3')
    pending = ws.infer_out / 'masks'
    _kill_when(proc, lambda: len(list(pending.iterdir())) >= 3, sig)
    stderr = proc.stderr.read().decode()
    assert 'Traceback' not in stderr, stderr
    assert proc.returncode != 0
    lost = ws.check_earlier_outputs()
    assert not lost, lost
    leftovers = [p for p in ws.infer_out.rglob('.*') if p.is_file()]
    if sig == signal.SIGTERM:
        assert not leftovers, leftovers
        assert _infer_consistent(ws.infer_out) == []
    # The next run: consistent, every earlier row kept, nothing hidden left.
    outcome = ws.infer()
    assert outcome.rc == 0, outcome.err
    assert _infer_consistent(ws.infer_out) == []
    assert not [p for p in ws.infer_out.rglob('.*') if p.is_file()]
    assert not ws.check_earlier_outputs()
    TALLY['handled'] += 1


def test_killed_test(ws):
    """kill -9 while test.py writes its masks: the earlier --isic-out folder
    is intact (the run wrote into a staging folder), and the next run
    replaces it with a whole one."""
    proc = _start('test', [str(ws.config), str(ws.checkpoint), '--work-dir',
                           str(ws.tmp / 'test_work'), '--isic-out', str(ws.isic_out),
                           *ws.data_options()],
                  pause_after='mmskin.evaluation.metrics.isic_metric:write_mask_atomic:1')
    staging = ws.isic_out.with_name(f'.{ws.isic_out.name}.partial') / 'masks'
    _kill_when(proc, lambda: staging.is_dir() and any(staging.iterdir()))
    assert proc.returncode == -signal.SIGKILL
    assert not ws.check_earlier_outputs()
    expect(ws, ws.test(), 'ok', replaced=ws.isic_out)
    assert sorted(p.name for p in ws.isic_out.iterdir()) == [
        '.mmskin_output', 'masks', 'part3_submission.csv', 'per_image.csv']
    assert not staging.parent.exists()


def test_failed_test_run_keeps_the_previous_folder_whole(ws):
    """A test run that fails half-way (an image corrupted after the dataset
    was built) leaves the previous --isic-out as it was, not new masks
    beside the old per_image.csv."""
    assert ws.test().rc == 0
    previous = snapshot(ws.isic_out)
    mmskin_isic = sys.modules['mmskin.datasets.isic']
    original = mmskin_isic.ISICDataset.prepare_data
    calls = []

    def corrupt_second(self, idx):
        calls.append(idx)
        if len(calls) == 2:
            corrupt_jpeg(Path(self.get_data_info(idx)['img_path']))
        return original(self, idx)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmskin_isic.ISICDataset, 'prepare_data', corrupt_second)
        outcome = ws.test()
    ws.earlier[ws.isic_out] = previous
    expect(ws, outcome, 'error')
    assert snapshot(ws.isic_out) == previous


@pytest.mark.parametrize('entry', ('convert', 'test', 'infer'))
def test_outputs_respect_the_umask(ws, entry):
    """Output files get 0o666 less the umask, as ``open`` gives (a temporary
    file's 0o600 would hide them from the rest of a group)."""
    previous = os.umask(0o027)
    try:
        outcome = getattr(ws, entry)()
    finally:
        os.umask(previous)
    replaced = dict(convert=ws.root / 'annotations', test=ws.isic_out).get(entry)
    expect(ws, outcome, 'ok', replaced=replaced)
    written = dict(convert=[ws.root / 'annotations' / 'isic2017_train.json'],
                   test=[ws.isic_out / 'per_image.csv',
                         ws.isic_out / 'masks' / f'{TEST_ID}_segmentation.png'],
                   infer=[ws.infer_out / 'predictions.csv',
                          ws.infer_out / 'masks' / f'{TEST_ID}_segmentation.png',
                          ws.infer_out / 'overlays' / f'{TEST_ID}.jpg'])[entry]
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o640, path
