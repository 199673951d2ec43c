"""The fault matrix, second part: weights that do not belong to the model,
and output paths that are an input, a file, or someone else's folder.

Each case asserts the exit status, one ``error:`` line naming the file at
fault, no traceback, and that every input and the files of earlier runs are
byte-identical afterwards. The cases reuse the workspace of
``test_fault_matrix.py`` (its tiny data and trained checkpoint); the counts
are printed at the end of the module (``-s``).
"""
import hashlib
import importlib.util
import shutil
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmskin.utils import OUTPUT_MARKER, load_checkpoint_file
from . import test_fault_matrix as matrix
from .test_fault_matrix import (REPO, TEST_IMAGES, TEST_MASKS, TRAIN_CSV, Outcome, Workspace,
                                in_process)

# The fault matrix's workspace: its tiny data, trained checkpoint and the
# outputs of earlier runs.
base, ws = matrix.base, matrix.ws

#: Outcome of each case of this module, printed at its end.
OUTPUT_TALLY: Counter = Counter()
#: --cfg-options that turn the tiny ResNet-18 config into a ResNet-50 one.
R50 = ['model.backbone.depth=50', 'model.neck.in_channels=[256,512,1024,2048]']
ANALYSIS = dict(tables='tools/analysis/make_tables.py', report='tools/analysis/report.py',
                resize='tools/dataset_converters/resize_isic_split.py',
                extract='tools/misc/extract_weights.py')


@pytest.fixture(scope='module', autouse=True)
def _print_tally():
    yield
    print(f'\noutput matrix: {sum(OUTPUT_TALLY.values())} cases: ' +
          ', '.join(f'{n} {kind}' for kind, n in sorted(OUTPUT_TALLY.items())))


def _digest(folder: Path) -> Dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob('*')) if p.is_file()}


class Guard:
    """Hashes of every input and earlier output, taken before a case runs."""

    def __init__(self, ws: Workspace, *extra: Path) -> None:
        self.folders = [ws.root, ws.infer_in, ws.work_dir, ws.isic_out, ws.infer_out,
                        ws.tmp / 'weights', *extra]
        self.before = {f: _digest(f) for f in self.folders if f.is_dir()}
        self.files = {p: p.read_bytes() for p in (Path(ws.checkpoint), Path(ws.config))}

    def changed(self) -> List[str]:
        """Earlier files now missing or different (new files, e.g. a run's
        log, may appear)."""
        changed = []
        for folder, files in self.before.items():
            now = _digest(folder) if folder.is_dir() else {}
            changed += [str(folder / name) for name, digest in files.items()
                        if now.get(name) != digest]
        return changed + [str(p) for p, data in self.files.items() if p.read_bytes() != data]


def check(guard: Guard, outcome: Outcome, result: str, named: Optional[Path] = None) -> None:
    """Assert a case: ``'error'`` (non-zero exit, one ``error:`` line naming
    ``named``, nothing changed) or ``'ok'`` (exit 0)."""
    try:
        assert outcome.rc != 'traceback' and 'Traceback' not in outcome.err, outcome.err
        if result == 'error':
            assert outcome.rc not in (0, None), outcome.err
            assert len(outcome.error_lines) == 1, outcome.err
            assert named is None or str(named) in outcome.error_lines[0], outcome.err
            assert not guard.changed(), guard.changed()
        else:
            assert outcome.rc == 0, outcome.err
            assert not outcome.error_lines, outcome.err
    except AssertionError:
        OUTPUT_TALLY['traceback' if 'Traceback' in outcome.err or outcome.rc == 'traceback'
                     else 'wrong'] += 1
        raise
    OUTPUT_TALLY['clear errors' if result == 'error' else 'handled'] += 1


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f'output_matrix_{name}', REPO / ANALYSIS[name])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- weights that do not belong to the model -----------------------------------


def _weights(ws: Workspace) -> Dict[str, torch.Tensor]:
    return load_checkpoint_file(str(ws.checkpoint), trusted=True)['state_dict']


def backbone_only(ws: Workspace, path: Path) -> None:
    torch.save(dict(state_dict={k: v for k, v in _weights(ws).items()
                                if k.startswith('backbone.')}), path)


def nan_weight(ws: Workspace, path: Path) -> None:
    """One NaN in the classifier; the file carries no content hash."""
    weights = _weights(ws)
    weights['roi_head.bbox_head.fc_cls.weight'][0, 0] = float('nan')
    torch.save(dict(state_dict=weights, meta=dict(iter=2)), path)


def other_architecture(ws: Workspace, path: Path) -> None:
    """The tiny ResNet-18 checkpoint, used under the ResNet-50 config."""
    shutil.copy(ws.checkpoint, path)


BAD_WEIGHTS = dict(other_architecture=other_architecture, backbone_only=backbone_only,
                   nan_weight=nan_weight)


def _infer(ws: Workspace, checkpoint: Path, extra: List[str] = (), out: Path = None,
           photos: Path = None, gt: Path = None) -> Outcome:
    argv = [str(ws.config), str(checkpoint), str(photos or ws.infer_in), '--out-dir',
            str(out or ws.infer_out), '--device', 'cpu', *extra]
    if gt is not None:
        argv += ['--gt-masks', str(gt)]
    return ws._run('infer', argv)


@pytest.mark.parametrize('entry', ('test', 'infer', 'load_from', 'resume'))
@pytest.mark.parametrize('weights', BAD_WEIGHTS)
def test_weights_that_do_not_belong(ws, weights, entry):
    (ws.tmp / 'weights').mkdir()
    bad = ws.tmp / 'weights' / f'{weights}.pth'
    BAD_WEIGHTS[weights](ws, bad)
    options = R50 if weights == 'other_architecture' else []
    guard = Guard(ws)
    if entry == 'test':
        outcome = ws.test(bad, extra=['--cfg-options', *options] if options else [])
    elif entry == 'infer':
        outcome = _infer(ws, bad, ['--cfg-options', *options] if options else [])
    elif entry == 'load_from':
        outcome = ws.train([f'load_from={bad}', *options])
    else:
        outcome = ws.train([*options, '--resume', str(bad)])
    check(guard, outcome, 'error', bad)
    expected = 'not finite' if weights == 'nan_weight' else 'do not belong to the model'
    assert expected in outcome.error_lines[0]


def _coco_checkpoint(ws: Workspace, path: Path) -> None:
    """The tiny model with COCO's 80 classes, as mmdet's COCO weights."""
    cfg = Config.fromfile(str(ws.config))
    init_default_scope('mmdet')
    cfg.model.roi_head.bbox_head.num_classes = cfg.model.roi_head.mask_head.num_classes = 80
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), path)


@pytest.mark.parametrize('declared', (True, False), ids=('reinit_declared', 'undeclared'))
def test_coco_initialisation(ws, declared):
    """``load_from`` of an 80-class checkpoint: the class-specific layers
    differ; declared in ``load_from_reinit`` (as the model's base config
    does, for the COCO initialisation) they keep their initialisation and
    training runs, else it is refused."""
    (ws.tmp / 'weights').mkdir()
    coco = ws.tmp / 'weights' / 'coco.pth'
    _coco_checkpoint(ws, coco)
    guard = Guard(ws)
    outcome = ws.train([f'load_from={coco}', *([] if declared else ['load_from_reinit=None'])])
    check(guard, outcome, 'ok' if declared else 'error', None if declared else coco)
    if not declared:
        assert 'roi_head.bbox_head.fc_cls' in outcome.error_lines[0]


# --- output paths that are an input, a file, or someone else's folder -----------


def _convert(ws: Workspace, out: Path) -> Outcome:
    return ws._run('convert', ['isic2017', str(ws.root), '--split', 'Training', '--out', str(out)])


def _hidden_leftovers(folder: Path) -> List[Path]:
    return [p for p in folder.rglob('.*') if p.name.endswith(('.previous', '.partial'))]


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


CONVERTER_OUT = dict(
    own_label_csv=lambda ws: ws.root / TRAIN_CSV,
    own_image=lambda ws: ws.train_image(),
    existing_folder=lambda ws: _folder(ws.tmp / 'coco.json'),
    below_a_file=lambda ws: ws.root / TRAIN_CSV / 'train.json')


@pytest.mark.parametrize('out', CONVERTER_OUT)
def test_converter_out(ws, out):
    path = CONVERTER_OUT[out](ws)
    guard = Guard(ws)
    outcome = _convert(ws, path)
    check(guard, outcome, 'error', ws.root / TRAIN_CSV if out == 'below_a_file' else path)


def _someone_elses(ws: Workspace) -> Path:
    folder = ws.tmp / 'my_results'
    folder.mkdir()
    (folder / 'notes.txt').write_text('not written by mmskin')
    return folder


def _a_file(ws: Workspace) -> Path:
    path = ws.tmp / 'results.txt'
    path.write_text('an earlier file')
    return path


ISIC_OUT = dict(ground_truth_masks=lambda ws: ws.root / TEST_MASKS,
                test_images=lambda ws: ws.root / TEST_IMAGES,
                data_root=lambda ws: ws.root,
                someone_elses_folder=_someone_elses,
                existing_file=_a_file)


@pytest.mark.parametrize('target', ISIC_OUT)
def test_isic_out(ws, target):
    """--isic-out replaces its folder whole: never an input, a file, or a
    folder of files mmskin did not write."""
    path = ISIC_OUT[target](ws)
    guard = Guard(ws, *([path] if path.is_dir() else []))
    before = path.read_bytes() if path.is_file() else None
    argv = [str(ws.config), str(ws.checkpoint), '--work-dir', str(ws.tmp / 'test_work'),
            '--isic-out', str(path), *ws.data_options()]
    outcome = ws._run('test', argv, uses_sys_argv=True)
    check(guard, outcome, 'error', path)
    if before is not None:
        assert path.read_bytes() == before
    assert not _hidden_leftovers(ws.tmp)


def test_isic_out_empty_folder_is_used(ws):
    """An empty folder holds nothing to lose: the run fills it and marks it
    as its own, so that the next run may replace it."""
    folder = ws.tmp / 'empty'
    folder.mkdir()
    guard = Guard(ws)
    argv = [str(ws.config), str(ws.checkpoint), '--work-dir', str(ws.tmp / 'test_work'),
            '--isic-out', str(folder), *ws.data_options()]
    check(guard, ws._run('test', argv, uses_sys_argv=True), 'ok')
    assert (folder / OUTPUT_MARKER).is_file() and (folder / 'per_image.csv').is_file()
    check(guard, ws._run('test', argv, uses_sys_argv=True), 'ok')
    assert not _hidden_leftovers(ws.tmp)


TEST_PATHS = dict(
    out_existing_folder=lambda ws: ('--out', ws.tmp / 'dump.pkl', 'folder'),
    out_below_a_file=lambda ws: ('--out', ws.tmp / 'results.txt' / 'dump.pkl', 'file'),
    work_dir_a_file=lambda ws: ('--work-dir', ws.tmp / 'results.txt', 'file'),
    show_dir_test_images=lambda ws: ('--show-dir', ws.root / TEST_IMAGES, None))


@pytest.mark.parametrize('case', TEST_PATHS)
def test_test_output_paths(ws, case):
    flag, path, make = TEST_PATHS[case](ws)
    if make == 'folder':
        path.mkdir()
    elif make == 'file':
        _a_file(ws)
    guard = Guard(ws)
    outcome = ws.test(extra=[flag, str(path)])
    check(guard, outcome, 'error', ws.tmp / 'results.txt' if case == 'out_below_a_file'
          else path)


INFER_PATHS = dict(
    out_dir_a_file=lambda ws: dict(out=_a_file(ws), named=ws.tmp / 'results.txt'),
    masks_a_file=lambda ws: dict(named=ws.infer_out / 'masks'),
    predictions_csv_a_folder=lambda ws: dict(named=_folder(ws.tmp / 'out' / 'predictions.csv'),
                                             out=ws.tmp / 'out'),
    gt_masks_are_its_masks=lambda ws: dict(gt=ws.infer_out / 'masks',
                                           named=ws.infer_out / 'masks'),
    photos_are_its_overlays=lambda ws: dict(photos=ws.infer_out / 'overlays',
                                            named=ws.infer_out / 'overlays'))


@pytest.mark.parametrize('case', INFER_PATHS)
def test_infer_output_paths(ws, case):
    paths = INFER_PATHS[case](ws)
    if case == 'masks_a_file':
        masks = ws.infer_out / 'masks'
        shutil.rmtree(masks)
        masks.write_bytes(b'a file where the masks go')
    if case == 'photos_are_its_overlays':
        for photo in ws.infer_in.iterdir():
            shutil.copy(photo, ws.infer_out / 'overlays')
    guard = Guard(ws)
    outcome = _infer(ws, ws.checkpoint, out=paths.get('out'), photos=paths.get('photos'),
                     gt=paths.get('gt'))
    check(guard, outcome, 'error', paths['named'])


@pytest.fixture
def run_dir(ws) -> Path:
    """A test run's folder (the earlier --isic-out) with a real per_image.csv,
    as the report reads it before it writes."""
    argv = [str(ws.config), str(ws.checkpoint), '--work-dir', str(ws.tmp / 'test_work'),
            '--isic-out', str(ws.isic_out), '--ci', 'none', *ws.data_options()]
    assert ws._run('test', argv, uses_sys_argv=True).rc == 0
    return ws.isic_out


TABLES_OUT = dict(existing_file=lambda ws, run: (_a_file(ws), _a_file(ws)),
                  run_folder=lambda ws, run: (run, run),
                  table_file_a_folder=lambda ws, run: (ws.tmp / 'tables',
                                                       ws.tmp / 'tables' / 'table_VI.md'))


@pytest.mark.parametrize('case', TABLES_OUT)
def test_make_tables_out(ws, case):
    run_dir = ws.isic_out
    out, named = TABLES_OUT[case](ws, run_dir)
    if case == 'table_file_a_folder':
        named.mkdir(parents=True)
    guard = Guard(ws, *([out] if out.is_dir() else []))
    outcome = in_process(_tool('tables').main,
                         [f'mask_rcnn_r101_fpn_dice.py={run_dir}', '--table', 'VI', '--out',
                          str(out), '--ci', 'none'])
    check(guard, outcome, 'error', named)


REPORT_OUT = dict(its_per_image_csv=lambda ws, run: run / 'per_image.csv',
                  one_of_its_photos=lambda ws, run: ws.root / TEST_IMAGES / 'ISIC_0000016.jpg',
                  existing_folder=lambda ws, run: ws.tmp)


@pytest.mark.parametrize('case', REPORT_OUT)
def test_report_out(ws, run_dir, case):
    out = REPORT_OUT[case](ws, run_dir)
    guard = Guard(ws)
    outcome = in_process(_tool('report').main,
                         [str(run_dir), '--images', str(ws.root / TEST_IMAGES), '--out',
                          str(out), '--ci', 'none'])
    check(guard, outcome, 'error', out)


RESIZE_OUT = dict(
    its_annotation_file=lambda ws: (['--out', 'annotations/isic2017_train.json',
                                     '--img-dir', 'resized'],
                                    ws.root / 'annotations' / 'isic2017_train.json'),
    images_over_the_originals=lambda ws: (['--out', 'annotations/resized.json',
                                           '--img-dir', '.'], ws.root / '.'))


@pytest.mark.parametrize('case', RESIZE_OUT)
def test_resize_out(ws, case):
    argv, named = RESIZE_OUT[case](ws)
    guard = Guard(ws)
    outcome = in_process(_tool('resize').main,
                         [str(ws.root), 'annotations/isic2017_train.json', *argv,
                          '--long-side', '64'])
    check(guard, outcome, 'error', named)


@pytest.mark.parametrize('case', ('its_checkpoint', 'existing_folder'))
def test_extract_weights_out(ws, case):
    """The backbone of a checkpoint never replaces the checkpoint."""
    (ws.tmp / 'weights').mkdir()
    checkpoint = ws.tmp / 'weights' / 'iter_2.pth'
    shutil.copy(ws.checkpoint, checkpoint)
    out = checkpoint if case == 'its_checkpoint' else _folder(ws.tmp / 'backbone.pth')
    guard = Guard(ws)
    outcome = in_process(_tool('extract').main,
                         [str(checkpoint), '--prefix', 'backbone.', '--out', str(out)])
    check(guard, outcome, 'error', out)
