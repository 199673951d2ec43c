"""The rule for every output path: never an input, a file where a folder
goes (or the reverse), or a folder of files mmskin did not write."""
import pytest

from mmskin.utils import (OUTPUT_MARKER, ISICFileError, check_output_file, check_output_folder,
                          mark_output_folder)


@pytest.fixture
def inputs(tmp_path):
    images = tmp_path / 'images'
    images.mkdir()
    (images / 'ISIC_1.jpg').write_bytes(b'photo')
    labels = tmp_path / 'labels.csv'
    labels.write_text('image_id,melanoma\n')
    return images, labels


def test_an_output_file_is_never_an_input(tmp_path, inputs):
    images, labels = inputs
    for clash in (labels, images / 'ISIC_1.jpg', images / 'new.json'):
        with pytest.raises(ISICFileError, match=f'{clash}: --out would replace an input'):
            check_output_file(clash, '--out', inputs)
    # The same file reached through another spelling of its path.
    with pytest.raises(ISICFileError, match='would replace an input'):
        check_output_file(images / '..' / 'labels.csv', '--out', inputs)
    assert check_output_file(tmp_path / 'out.json', '--out', inputs) == tmp_path / 'out.json'


def test_a_file_where_a_folder_goes_and_the_reverse(tmp_path, inputs):
    images, labels = inputs
    with pytest.raises(ISICFileError, match=f'{images}: --out is a folder'):
        check_output_file(images, '--out')
    with pytest.raises(ISICFileError, match=f'{labels}: is a file, but --out'):
        check_output_file(labels / 'out.json', '--out')
    with pytest.raises(ISICFileError, match=f'{labels}: --out-dir is a file'):
        check_output_folder(labels, '--out-dir')
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'masks').write_bytes(b'')
    with pytest.raises(ISICFileError, match=f'{out / "masks"}: is a file; --out-dir needs'):
        check_output_folder(out, '--out-dir', subfolders=('masks', 'overlays'))


def test_an_output_folder_never_holds_an_input(tmp_path, inputs):
    images, _ = inputs
    for folder in (images, tmp_path):
        with pytest.raises(ISICFileError, match=f'{folder}: --isic-out holds an input'):
            check_output_folder(folder, '--isic-out', inputs)
    assert check_output_folder(images / 'out', '--isic-out', inputs) == images / 'out'


def test_only_mmskins_own_or_an_empty_folder_is_replaced(tmp_path):
    folder = tmp_path / 'results'
    check_output_folder(folder, '--isic-out', replaced=True)  # new
    folder.mkdir()
    check_output_folder(folder, '--isic-out', replaced=True)  # empty
    (folder / 'notes.txt').write_text('mine')
    check_output_folder(folder, '--isic-out')  # written into, not emptied: fine
    with pytest.raises(ISICFileError, match=f'{folder}: --isic-out holds files that mmskin'):
        check_output_folder(folder, '--isic-out', replaced=True)
    mark_output_folder(folder)
    assert (folder / OUTPUT_MARKER).is_file()
    check_output_folder(folder, '--isic-out', replaced=True)
