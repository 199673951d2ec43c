"""Inference on new photos: decoding, the CSV / mask / overlay outputs, bad
files, and the ``tools/infer.py`` command line."""
import csv
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint
from PIL import Image

from mmskin.apis import (ConfigError, LesionPrediction, build_test_pipeline, init_lesion_model,
                         predict_lesion, run_inference)
from mmskin.apis import inference
from mmskin.evaluation import LESION_COLUMNS
from mmskin.utils import ISICFileError, list_images, read_image, read_mask
from mmskin.visualization import (BOX_BGR, GT_CONTOUR_BGR, PRED_CONTOUR_BGR,
                                  draw_lesion_overlay)

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'
TOOL = REPO / 'tools/infer.py'
SKIN_BGR = (185, 195, 215)  # bright, so that black contour pixels stand out
LESION_BGR = (110, 120, 170)


def _photo(h: int, w: int) -> np.ndarray:
    """A bright BGR image with an elliptic lesion."""
    img = np.full((h, w, 3), SKIN_BGR, np.uint8)
    cv2.ellipse(img, (w // 2, h // 2), (w // 4, h // 4), 0, 0, 360, LESION_BGR, -1)
    return img


def _lesion_mask(h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (w // 4, h // 4), 0, 0, 360, 255, -1)
    return mask


def _save_rgb(path: Path, bgr: np.ndarray, **kwargs) -> None:
    Image.fromarray(np.ascontiguousarray(bgr[..., ::-1])).save(path, **kwargs)


def _exif_rotated_jpeg(path: Path, h: int, w: int) -> None:
    """A JPEG stored as h x w whose EXIF orientation 6 shows it turned 90
    degrees clockwise (w x h); a red patch marks the stored top-left corner."""
    img = _photo(h, w)
    img[:12, :12] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    _save_rgb(path, img, exif=exif, quality=95)


def _truncated_jpeg(path: Path) -> None:
    ok, buf = cv2.imencode('.jpg', _photo(100, 120))
    assert ok
    data = buf.tobytes()
    path.write_bytes(data[:len(data) // 2])


#: name -> displayed (H, W) of the good photos of the mixed folder.
GOOD = {
    'a_colour.jpg': (120, 160),
    'c_gray.png': (90, 130),
    'e_rgba.png': (100, 100),
    'f_16bit.png': (110, 150),
    'g_exif.jpg': (160, 100),  # stored 100 x 160
}
BAD = ('b_truncated.jpg', 'd_text.jpg')


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    """Good photos of every kind a user may have, and two bad files between them."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a_colour.jpg'), _photo(120, 160))
    _truncated_jpeg(folder / 'b_truncated.jpg')
    cv2.imwrite(str(folder / 'c_gray.png'), cv2.cvtColor(_photo(90, 130), cv2.COLOR_BGR2GRAY))
    (folder / 'd_text.jpg').write_text('lesion notes, not an image\n')
    rgba = np.dstack([_photo(100, 100)[..., ::-1], np.full((100, 100), 128, np.uint8)])
    Image.fromarray(rgba, 'RGBA').save(folder / 'e_rgba.png')
    gray16 = cv2.cvtColor(_photo(110, 150), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    cv2.imwrite(str(folder / 'f_16bit.png'), gray16)
    _exif_rotated_jpeg(folder / 'g_exif.jpg', 100, 160)
    (folder / 'notes.txt').write_text('not an image suffix: ignored\n')
    return folder


@pytest.fixture
def gt_folder(tmp_path) -> Path:
    """Ground-truth masks of the good photos, in both ISIC namings; none
    for the RGBA photo."""
    folder = tmp_path / 'gt'
    folder.mkdir()
    for name, (h, w) in GOOD.items():
        stem = Path(name).stem
        if stem == 'e_rgba':
            continue
        suffix = '_Segmentation.png' if stem == 'c_gray' else '_segmentation.png'
        cv2.imwrite(str(folder / f'{stem}{suffix}'), _lesion_mask(h, w))
    return folder


@pytest.fixture
def model_files(tiny_coco, make_cpu_cfg, tmp_path):
    """The paper's config shrunk to a tiny CPU model, and an untrained
    checkpoint of it saved as a runner would (with Python objects, so that
    it must be trusted to load)."""
    cfg = make_cpu_cfg(Config.fromfile(str(CONFIG)), tiny_coco, str(tmp_path / 'work'))
    # Fewer proposals and detections keep an untrained model fast.
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=20)
    cfg.model.test_cfg.rcnn.max_per_img = 5
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    checkpoint = tmp_path / 'tiny.pth'
    save_checkpoint(
        dict(state_dict=model.state_dict(), message_hub=dict(log=HistoryBuffer())),
        str(checkpoint))
    config = tmp_path / 'tiny_config.py'
    cfg.dump(str(config))
    return SimpleNamespace(config=config, checkpoint=checkpoint, state_dict=model.state_dict())


def _rows(out_dir: Path) -> list:
    with open(out_dir / 'predictions.csv', newline='') as f:
        return list(csv.DictReader(f))


def _load_tool():
    spec = importlib.util.spec_from_file_location('infer_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- decoding --------------------------------------------------------------


def test_read_image_colour_gray_rgba_16bit(tmp_path):
    photo = _photo(40, 60)
    cv2.imwrite(str(tmp_path / 'colour.png'), photo)
    np.testing.assert_array_equal(read_image(tmp_path / 'colour.png'), photo)

    cv2.imwrite(str(tmp_path / 'gray.png'), np.full((40, 60), 77, np.uint8))
    gray = read_image(tmp_path / 'gray.png')
    assert gray.shape == (40, 60, 3) and gray.dtype == np.uint8
    assert (gray == 77).all()

    # Alpha is dropped, the colour kept (and turned to BGR).
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[...] = (10, 200, 30, 0)
    Image.fromarray(rgba, 'RGBA').save(tmp_path / 'rgba.png')
    np.testing.assert_array_equal(read_image(tmp_path / 'rgba.png')[0, 0], (30, 200, 10))

    # 16 bits keep the high byte, as OpenCV and the training pipeline do.
    cv2.imwrite(str(tmp_path / 'deep.png'), np.full((40, 60), 0x80FF, np.uint16))
    assert (read_image(tmp_path / 'deep.png') == 0x80).all()


def test_read_image_applies_exif_orientation(tmp_path):
    path = tmp_path / 'rotated.jpg'
    _exif_rotated_jpeg(path, 100, 160)
    img = read_image(path)
    assert img.shape == (160, 100, 3)
    # Turned clockwise: the stored top-left corner is now top-right.
    assert img[:8, -8:, 2].mean() > 200 and img[:8, -8:, :2].mean() < 60
    assert img[:8, :8, 2].mean() < 240


@pytest.mark.parametrize('make, problem', [
    (_truncated_jpeg, 'corrupt or truncated'),
    (lambda p: p.write_text('not an image'), 'not an image file'),
    (lambda p: None, 'no such file'),
])
def test_read_image_bad_files_name_file_and_problem(tmp_path, make, problem):
    path = tmp_path / 'bad.jpg'
    make(path)
    with pytest.raises(ISICFileError, match=problem) as info:
        read_image(path)
    assert str(path) in str(info.value) and info.value.path == path


# --- inputs and pipeline ---------------------------------------------------


def test_list_images(mixed_folder, tmp_path):
    (mixed_folder / 'ISIC_0000000_superpixels.png').write_bytes(b'')
    names = [p.name for p in list_images(mixed_folder)]
    assert names == sorted([*GOOD, *BAD])
    assert list_images(mixed_folder / 'c_gray.png') == [mixed_folder / 'c_gray.png']

    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.txt').write_text('no photos')
    with pytest.raises(ISICFileError, match=f'{empty}: the folder holds no image'):
        list_images(empty)
    with pytest.raises(ISICFileError, match='no such file or folder'):
        list_images(tmp_path / 'missing')


def test_build_test_pipeline_has_no_annotation_loading():
    cfg = Config.fromfile(str(CONFIG))
    assert any('LoadAnnotations' in step['type'] for step in cfg.test_pipeline)
    pipeline = build_test_pipeline(cfg)
    names = [type(t).__name__ for t in pipeline.transforms]
    assert names[0] == 'LoadImageFromNDArray' and 'LoadAnnotations' not in names
    out = pipeline(dict(img=_photo(300, 500), img_id=0))
    assert out['inputs'].shape == (3, 1024, 1024)
    assert out['data_samples'].ori_shape == (300, 500)


# --- drawing ---------------------------------------------------------------


def test_draw_lesion_overlay_colours():
    img = np.full((100, 120, 3), 200, np.uint8)
    pred = np.zeros((100, 120), bool)
    pred[30:70, 40:90] = True
    gt = np.zeros((100, 120), bool)
    gt[20:60, 20:60] = True
    out = draw_lesion_overlay(img, pred, 0.9, 1, bbox=(35, 25, 95, 75), gt_mask=gt)
    assert (img == 200).all(), 'the input image must not be drawn on'
    assert tuple(out[50, 89]) == PRED_CONTOUR_BGR  # right edge of the prediction
    assert tuple(out[50, 65]) == (200, 200, 200)  # inside it, untouched
    assert tuple(out[45, 20]) == GT_CONTOUR_BGR  # left edge of the ground truth
    assert tuple(out[50, 35]) == tuple(out[74, 60]) == BOX_BGR  # box edges, pixel-edge x1, y1
    assert tuple(out[50, 95]) == (200, 200, 200)
    # Without ground truth there is no black at all.
    plain = draw_lesion_overlay(img, pred, 0.9, 1, bbox=(35, 25, 95, 75))
    assert not (plain == 0).all(axis=2).any()
    with pytest.raises(ValueError, match='gt_mask has shape'):
        draw_lesion_overlay(img, pred, 0.9, 1, gt_mask=gt[:50])


def test_read_mask(tmp_path):
    path = tmp_path / 'm_segmentation.png'
    cv2.imwrite(str(path), _lesion_mask(40, 60))
    mask = read_mask(path, (40, 60))
    assert mask.dtype == bool and mask.sum() == (_lesion_mask(40, 60) > 0).sum()
    with pytest.raises(ISICFileError, match=r'transposed: is the photo EXIF-rotated'):
        read_mask(path, (60, 40))
    cv2.imwrite(str(path), (_lesion_mask(40, 60) > 0).astype(np.uint8))
    with pytest.raises(ISICFileError, match='at most 1; the ISIC scorer'):
        read_mask(path, (40, 60))


# --- writing ---------------------------------------------------------------


def _fake_prediction(image: np.ndarray) -> LesionPrediction:
    h, w = image.shape[:2]
    return LesionPrediction(p_malignant=0.25, label=0, score=0.9,
                            bbox=np.array([1, 2, w - 1, h - 2], np.float32),
                            mask=_lesion_mask(h, w) > 0, detected=True)


def test_interrupted_run_keeps_finished_images(monkeypatch, tmp_path):
    """Rows are flushed and files complete as soon as each image is done."""
    folder = tmp_path / 'in'
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f'p{i}.png'), _photo(50, 70))
    cv2.imwrite(str(folder / 'p0.jpg'), _photo(50, 70))  # same stem as p0.png
    calls = []

    def predict(model, image, pipeline=None):
        calls.append(image.shape)
        if len(calls) == 3:
            raise RuntimeError('interrupted')
        return _fake_prediction(image)

    monkeypatch.setattr(inference, 'predict_lesion', predict)
    model = SimpleNamespace(cfg=Config.fromfile(str(CONFIG)))
    lines = []
    out = tmp_path / 'out'
    with pytest.raises(RuntimeError, match='interrupted'):
        run_inference(model, list_images(folder), out, progress=False, report=lines.append)
    rows = _rows(out)
    assert [r['image_id'] for r in rows] == ['p0', 'p1']
    assert rows[0]['pred_label'] == '0' and float(rows[0]['p_malignant']) == 0.25
    assert lines == [f'skipped {folder / "p0.png"}: same name stem as {folder / "p0.jpg"}, '
                     'whose outputs would be overwritten']
    assert sorted(p.name for p in (out / 'masks').iterdir()) == [
        'p0_segmentation.png', 'p1_segmentation.png']
    assert sorted(p.name for p in (out / 'overlays').iterdir()) == ['p0.jpg', 'p1.jpg']


# --- the model -------------------------------------------------------------


def test_init_lesion_model_and_predict_lesion(model_files, tmp_path):
    model = init_lesion_model(model_files.config, model_files.checkpoint, 'cpu')
    pred = predict_lesion(model, _photo(37, 81))
    assert pred.mask.shape == (37, 81) and pred.mask.dtype == bool
    assert pred.bbox.shape == (4,) and 0.0 <= pred.p_malignant <= 1.0
    assert pred.label == int(pred.p_malignant > 0.5)
    record = pred.to_record('x')
    assert record.image_id == 'x' and record.area == pred.mask.sum()
    assert record.pred_label == pred.label and record.detected == pred.detected

    with pytest.raises(FileNotFoundError, match='no such checkpoint file'):
        init_lesion_model(model_files.config, tmp_path / 'missing.pth')
    partial = dict(model_files.state_dict)
    partial.pop(next(iter(partial)))
    save_checkpoint(partial, str(tmp_path / 'partial.pth'))
    with pytest.raises(ConfigError, match='do not fit the model'):
        init_lesion_model(model_files.config, tmp_path / 'partial.pth')
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match='CUDA is not available'):
            init_lesion_model(model_files.config, model_files.checkpoint, 'cuda:0')


def test_tool_single_image_and_empty_folder(model_files, mixed_folder, tmp_path, capsys):
    tool = _load_tool()
    out = tmp_path / 'single'
    rc = tool.main([str(model_files.config), str(model_files.checkpoint),
                    str(mixed_folder / 'g_exif.jpg'), '--out-dir', str(out),
                    '--device', 'cpu'])
    assert rc == 0
    assert 'processed 1, failed 0' in capsys.readouterr().out
    assert [r['image_id'] for r in _rows(out)] == ['g_exif']
    mask = cv2.imread(str(out / 'masks' / 'g_exif_segmentation.png'), cv2.IMREAD_UNCHANGED)
    assert mask.shape == GOOD['g_exif.jpg']

    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(SystemExit, match=f'error: {empty}: the folder holds no image'):
        tool.main([str(model_files.config), str(model_files.checkpoint), str(empty),
                   '--out-dir', str(tmp_path / 'none')])
    assert not (tmp_path / 'none').exists()


def test_tool_cli_mixed_folder_with_ground_truth(model_files, mixed_folder, gt_folder,
                                                  tmp_path):
    """Every good photo gets its row, mask and overlay at its displayed size;
    the bad files are reported and skipped, and the exit status says so."""
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(model_files.config), str(model_files.checkpoint),
         str(mixed_folder), '--out-dir', str(out), '--gt-masks', str(gt_folder),
         '--device', 'cpu'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'processed 5, failed 2' in proc.stdout
    for bad in BAD:
        assert f'skipped {mixed_folder / bad}: ' in proc.stderr
    assert 'ground truth not drawn for e_rgba.png' in proc.stderr
    assert not list(out.rglob('*.tmp')), 'no temporary file may be left'

    rows = _rows(out)
    assert list(rows[0]) == list(LESION_COLUMNS)
    assert [r['image_id'] for r in rows] == [Path(name).stem for name in GOOD]
    for row, name in zip(rows, GOOD):
        h, w = GOOD[name]
        stem = Path(name).stem
        assert 0.0 <= float(row['p_malignant']) <= 1.0
        assert row['pred_label'] == str(int(float(row['p_malignant']) > 0.5))
        mask = cv2.imread(str(out / 'masks' / f'{stem}_segmentation.png'), cv2.IMREAD_UNCHANGED)
        assert mask.shape == (h, w), name  # the photo as displayed (EXIF applied)
        assert set(np.unique(mask)) <= {0, 255}
        assert int(row['area']) == int((mask == 255).sum())
        if row['detected'] == '1':
            x0, y0, x1, y1 = (float(row[k]) for k in ('x0', 'y0', 'x1', 'y1'))
            assert 0 <= x0 <= x1 <= w and 0 <= y0 <= y1 <= h
        overlay = cv2.imread(str(out / 'overlays' / f'{stem}.jpg'))
        assert overlay.shape == (h, w, 3)
        contour = np.zeros((h, w), np.uint8)
        found, _ = cv2.findContours(_lesion_mask(h, w), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(contour, found, -1, 1, 1)
        black = overlay[contour > 0].max(axis=1) < 90
        if stem == 'e_rgba':  # no ground truth: nothing black on the bright photo
            assert black.mean() < 0.05
        else:
            assert black.mean() > 0.5, f'{name}: the ground-truth contour is not drawn'
