"""The web app's logic without a browser: what an upload shows and offers,
the same numbers as tools/infer.py, and a message for every bad file."""
import csv
import struct
import zlib
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pytest
from PIL import Image

from mmskin.apis import ConfigError, init_lesion_model, photo_analysis, run_inference
from mmskin.apis.web_app import LesionWebApp
from mmskin.evaluation import ABCD_COLUMNS, prediction_columns


def _csv_rows(path: Path):
    with open(path, newline='') as f:
        return list(csv.reader(f))


def _png_claiming(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height pixels (a decompression bomb
    to PIL) without the data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) +
                     chunk(b'IDAT', zlib.compress(b'\0' * 16)) + chunk(b'IEND', b''))


@pytest.fixture
def app(model_files):
    model = init_lesion_model(str(model_files.config), str(model_files.checkpoint), 'cpu')
    return LesionWebApp(model, threshold=0.3)


def test_an_upload_shows_what_infer_writes(app, mixed_folder, tmp_path):
    photos = [mixed_folder / 'a_colour.jpg', mixed_folder / 'g_exif.jpg']
    gallery, results, downloads = app.analyse([str(p) for p in photos])
    run_inference(app.model, photos, tmp_path / 'infer', progress=False, cam=True, abcd=True)

    infer_rows = _csv_rows(tmp_path / 'infer' / 'predictions.csv')
    app_rows = _csv_rows(Path(downloads[0]))
    assert Path(downloads[0]).name == 'predictions.csv'
    assert app_rows == infer_rows  # the same cells to the last digit
    assert tuple(app_rows[0]) == prediction_columns(abcd=True)
    for photo, path in zip(photos, downloads[1:]):
        assert Path(path).name == f'{photo.stem}_segmentation.png'
        assert Path(path).read_bytes() == (
            tmp_path / 'infer' / 'masks' / Path(path).name).read_bytes()

    assert [caption for _, caption in gallery] == [
        'a_colour: overlay', 'a_colour: saliency', 'g_exif: overlay', 'g_exif: saliency']
    assert gallery[2][0].shape == (100, 160, 3)  # the photo as stored (EXIF tag ignored), RGB
    for (saliency, _), photo in zip(gallery[1::2], photos):
        written = cv2.imread(str(tmp_path / 'infer' / 'cams' / f'{photo.stem}.jpg'))
        # The same drawing: encoded as infer encodes it, the same pixels.
        ok, encoded = cv2.imencode('.jpg', np.ascontiguousarray(saliency[..., ::-1]),
                                   (cv2.IMWRITE_JPEG_QUALITY, 95))
        assert ok and np.array_equal(cv2.imdecode(encoded, cv2.IMREAD_COLOR), written)
    for row in app_rows[1:]:
        cells = dict(zip(app_rows[0], row))
        assert f'<td class="p-malignant">{cells["p_malignant"]}</td>' in results
        assert f'<td class="score">{cells["score"]}</td>' in results
    assert 'label at 0.3' in results and 'problem' not in results
    assert all(f'<th>{name}</th>' in results for name in ABCD_COLUMNS)


def test_bad_uploads_get_a_message_and_the_others_their_results(app, photos, tmp_path):
    folder = tmp_path / 'uploads'
    folder.mkdir()
    photos.truncated_jpeg(folder / 'truncated.jpg')
    (folder / 'notes.jpg').write_text('not an image\n')
    _png_claiming(folder / 'huge.png', 20000, 20000)
    cv2.imwrite(str(folder / 'tiny.png'), np.full((1, 1, 3), 128, np.uint8))
    gray16 = cv2.cvtColor(photos.photo(90, 120), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    cv2.imwrite(str(folder / 'deep.png'), gray16)
    Image.fromarray(photos.photo(80, 100)[..., ::-1]).convert('CMYK').save(folder / 'cmyk.jpg')
    photos.save_rgb(folder / 'cmyk.bmp', photos.photo(70, 90))
    (folder / 'again.png').write_bytes((folder / 'deep.png').read_bytes())
    names = ['truncated.jpg', 'notes.jpg', 'huge.png', 'tiny.png', 'deep.png', 'cmyk.jpg',
             'cmyk.bmp']
    gallery, results, downloads = app.analyse([str(folder / n) for n in names])

    assert 'Traceback' not in results
    problems = results.split('<ul class="problems">')[1].split('</ul>')[0]
    assert 'truncated.jpg: corrupt or truncated image' in problems
    assert 'notes.jpg: not an image file (unknown format)' in problems
    assert 'huge.png: corrupt or truncated image' in problems and 'decompression' in problems
    assert 'cmyk.bmp: same name as cmyk.jpg; rename one' in problems
    analysed = [caption.split(':')[0] for _, caption in gallery if caption.endswith('overlay')]
    assert analysed == ['tiny', 'deep', 'cmyk']  # 1x1, 16-bit and CMYK are photos all the same
    assert len(downloads) == 1 + 3
    assert app.analyse([]) == ([], '', [])


def test_the_page_is_built(app):
    page = app.build()
    assert isinstance(page, gr.Blocks)
    ids = {block.elem_id for block in page.blocks.values()}
    assert {'photos', 'overlays', 'results', 'downloads'} <= ids


def test_threshold_must_be_a_probability(app):
    with pytest.raises(ValueError, match=r'threshold must be in \[0, 1\], got 1.5'):
        LesionWebApp(app.model, threshold=1.5)


def test_a_model_without_saliency_still_gets_its_results(app, mixed_folder, monkeypatch):
    def no_map(*args, **kwargs):
        raise ConfigError('the model has one foreground class: no malignant logit to explain')

    monkeypatch.setattr(photo_analysis, 'lesion_cam', no_map)
    gallery, results, downloads = app.analyse([str(mixed_folder / 'a_colour.jpg')])
    assert [caption for _, caption in gallery] == ['a_colour: overlay']
    assert ('a_colour: no saliency map (the model has one foreground class: no malignant logit '
            'to explain)') in results
    assert 'class="p-malignant"' in results and len(downloads) == 2
