"""The ISIC file rules: names, image decoding, mask reading."""
import cv2
import numpy as np
import pytest
from PIL import Image

from mmskin.utils import (ISICFileError, check_image_id, index_masks, list_images,
                          mask_file_name, read_image, read_image_size, read_mask,
                          read_prediction_mask)


def test_index_masks_accepts_both_spellings(tmp_path, write_image, square_mask):
    write_image(tmp_path / 'ISIC_0000001_Segmentation.png', square_mask())
    write_image(tmp_path / 'ISIC_0000002_segmentation.png', square_mask())
    (tmp_path / 'ISIC_0000003.jpg').write_bytes(b'')
    (tmp_path / 'ISIC_0000003_superpixels.png').write_bytes(b'')
    masks = index_masks(tmp_path, 'ground-truth')
    assert sorted(masks) == ['ISIC_0000001', 'ISIC_0000002']


def test_index_masks_errors(tmp_path, write_image, square_mask):
    with pytest.raises(ISICFileError, match='does not exist'):
        index_masks(tmp_path / 'nope', 'prediction')
    with pytest.raises(ISICFileError, match='no prediction masks'):
        index_masks(tmp_path, 'prediction')
    write_image(tmp_path / 'ISIC_0000001_Segmentation.png', square_mask())
    write_image(tmp_path / 'ISIC_0000001_segmentation.png', square_mask())
    with pytest.raises(ISICFileError, match='two prediction masks for ISIC_0000001'):
        index_masks(tmp_path, 'prediction')


def test_mask_binarisation_is_the_scorers(tmp_path, write_image, square_mask):
    assert read_mask(write_image(tmp_path / 'a.png', square_mask(255))).sum() == 12
    noisy = square_mask(255)
    noisy[0, 0], noisy[1, 2], noisy[5, 7] = 100, 128, 129
    assert read_mask(write_image(tmp_path / 'c.png', noisy)).sum() == 12  # -(1, 2) +(5, 7)
    # the scorer would read a 0/1 mask as empty: an error, not a silent zero
    with pytest.raises(ISICFileError, match=r'b\.png: mask values are at most 1'):
        read_mask(write_image(tmp_path / 'b.png', square_mask(1)))
    # the converter's stricter rule: 0 and 255 only, not empty
    with pytest.raises(ISICFileError, match=r'c\.png: mask is not binary: values 0, 100, 128'):
        read_mask(tmp_path / 'c.png', strict=True)
    with pytest.raises(ISICFileError, match=r'e\.png: mask is empty'):
        read_mask(write_image(tmp_path / 'e.png', square_mask(0)), strict=True)
    assert not read_mask(tmp_path / 'e.png').any()
    with pytest.raises(ISICFileError, match=r'a\.png: mask is 8x6 \(WxH\) but its image is '
                       r'6x8 \(transposed'):
        read_mask(tmp_path / 'a.png', (8, 6))


def test_prediction_binarisation_and_low_values(tmp_path, write_image, square_mask):
    pred, low = read_prediction_mask(write_image(tmp_path / 'p.png', square_mask(255)), (6, 8))
    assert pred.sum() == 12 and not low
    pred, low = read_prediction_mask(write_image(tmp_path / 'q.png', square_mask(1)), (6, 8))
    assert pred.sum() == 0 and low  # all background to the scorer, flagged
    pred, low = read_prediction_mask(write_image(tmp_path / 'r.png', square_mask(128)), (6, 8))
    assert pred.sum() == 0 and low
    pred, low = read_prediction_mask(write_image(tmp_path / 's.png', square_mask(129)), (6, 8))
    assert pred.sum() == 12 and not low
    with pytest.raises(ISICFileError, match=r'p\.png: mask is 8x6 \(WxH\) but its image'):
        read_prediction_mask(tmp_path / 'p.png', (8, 6))


def _colour(mask: np.ndarray) -> np.ndarray:
    bgr = np.dstack([mask] * 3)
    bgr[0, 0] = (0, 0, 255)
    return bgr


@pytest.mark.parametrize('suffix, image, match', [
    ('.png', _colour(np.zeros((4, 4), np.uint8)), 'colour PNG image whose channels differ at 1 '
     'pixels; expected a grey mask'),
    ('.bmp', _colour(np.zeros((4, 4), np.uint8)), 'colour BMP image whose channels differ'),
    ('.png', np.zeros((4, 4), np.uint16), 'PNG image of mode I;16; expected an 8-bit grey mask'),
])
def test_mask_format_errors_name_the_format(tmp_path, suffix, image, match, write_image):
    with pytest.raises(ISICFileError, match=match):
        read_mask(write_image(tmp_path / f'm{suffix}', image))


@pytest.mark.parametrize('kind', ('1-bit BMP', '24-bit BMP', '24-bit PNG', 'palette PNG'))
def test_grey_masks_in_any_grey_form(tmp_path, kind, photos):
    """PH2 ships 1-bit and 24-bit grey BMPs: each reads as the same grey mask."""
    grey = photos.lesion_mask(40, 60)
    image = Image.fromarray(grey)
    image = dict(zip(('1-bit BMP', '24-bit BMP', '24-bit PNG', 'palette PNG'),
                     (image.convert('1'), image.convert('RGB'), image.convert('RGB'),
                      image.convert('P'))))[kind]
    path = tmp_path / f'mask.{kind.split()[-1].lower()}'
    image.save(path)
    np.testing.assert_array_equal(read_mask(path, (40, 60), strict=True), grey > 128)


def test_undecodable_mask(tmp_path):
    path = tmp_path / 'ISIC_0000001_segmentation.png'
    path.write_bytes(b'\x89PNG truncated')
    with pytest.raises(ISICFileError, match='cannot be decoded as a mask'):
        read_mask(path)


def test_read_image_colour_gray_rgba_16bit(photos, tmp_path):
    photo = photos.photo(40, 60)
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


def test_read_image_keeps_the_stored_orientation(photos, tmp_path):
    """ISIC images are used as stored: the EXIF orientation tag is ignored,
    so the photo keeps the pixel grid its mask was drawn on."""
    path = tmp_path / 'rotated.jpg'
    photos.exif_rotated_jpeg(path, 100, 160)
    img = read_image(path)
    assert img.shape == (100, 160, 3)
    assert read_image_size(path) == (160, 100)
    # The red patch stays at the stored top-left corner.
    assert img[:8, :8, 2].mean() > 200 and img[:8, :8, :2].mean() < 60


@pytest.mark.parametrize('make, problem', [
    ('truncated', 'corrupt or truncated'),
    (lambda p: p.write_text('not an image'), 'not an image file'),
    (lambda p: None, 'no such file'),
])
def test_read_image_bad_files_name_file_and_problem(photos, tmp_path, make, problem):
    path = tmp_path / 'bad.jpg'
    (photos.truncated_jpeg if make == 'truncated' else make)(path)
    with pytest.raises(ISICFileError, match=problem) as info:
        read_image(path)
    assert str(path) in str(info.value) and info.value.path == path


def test_list_images(photos, mixed_folder, tmp_path):
    (mixed_folder / 'ISIC_0000000_superpixels.png').write_bytes(b'')
    names = [p.name for p in list_images(mixed_folder)]
    assert names == sorted([*photos.good, *photos.bad])
    assert list_images(mixed_folder / 'c_gray.png') == [mixed_folder / 'c_gray.png']

    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.txt').write_text('no photos')
    with pytest.raises(ISICFileError, match=f'{empty}: the folder holds no image'):
        list_images(empty)
    with pytest.raises(ISICFileError, match='no such file or folder'):
        list_images(tmp_path / 'missing')


def test_read_mask(photos, tmp_path):
    path = tmp_path / 'm_segmentation.png'
    cv2.imwrite(str(path), photos.lesion_mask(40, 60))
    mask = read_mask(path, (40, 60))
    assert mask.dtype == bool and mask.sum() == (photos.lesion_mask(40, 60) > 0).sum()
    with pytest.raises(ISICFileError, match=r'transposed: is the photo EXIF-rotated'):
        read_mask(path, (60, 40))
    cv2.imwrite(str(path), (photos.lesion_mask(40, 60) > 0).astype(np.uint8))
    with pytest.raises(ISICFileError, match='at most 1; the ISIC scorer'):
        read_mask(path, (40, 60))


@pytest.mark.parametrize('image_id', ['', '.', '..', '../x', 'a/b', 'a\\b', '/abs', 'x\0y'])
def test_ids_that_cannot_name_a_file_are_refused(image_id):
    with pytest.raises(ISICFileError, match="labels.csv: image id .* cannot name a file"):
        check_image_id(image_id, 'labels.csv')
    with pytest.raises(ISICFileError):
        mask_file_name(image_id)


def test_plain_ids_name_their_mask():
    assert check_image_id('ISIC_0000000', 'x') == 'ISIC_0000000'
    assert mask_file_name('ISIC_0000000.v2') == 'ISIC_0000000.v2_segmentation.png'
