"""StagedOutputFolder: the --isic-out folder of tools/test.py holds the files
of one whole run."""
import pytest

from mmskin.apis import StagedOutputFolder, staging_dir
from mmskin.utils import OUTPUT_MARKER, ISICFileError, mark_output_folder


def _earlier(target):
    """The folder an earlier run wrote (marked as mmskin's)."""
    (target / 'masks').mkdir(parents=True)
    mark_output_folder(target)
    (target / 'masks' / 'ISIC_1_segmentation.png').write_bytes(b'old mask')
    (target / 'per_image.csv').write_text('old')


def _files(folder):
    """The folder's files but the marker."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*')
            if p.is_file() and p.name != OUTPUT_MARKER}


def test_a_successful_run_replaces_the_folder(tmp_path):
    target = tmp_path / 'isic_out'
    _earlier(target)
    with StagedOutputFolder(target) as staging:
        assert staging == staging_dir(target) == tmp_path / '.isic_out.partial'
        (staging / 'masks').mkdir()
        (staging / 'masks' / 'ISIC_2_segmentation.png').write_bytes(b'new mask')
        (staging / 'per_image.csv').write_text('new')
    assert _files(target) == {'masks/ISIC_2_segmentation.png': b'new mask',
                              'per_image.csv': b'new'}
    assert (target / OUTPUT_MARKER).is_file()  # the next run may replace it
    assert sorted(p.name for p in tmp_path.iterdir()) == ['isic_out']


def test_a_failed_run_leaves_the_previous_folder_as_it_was(tmp_path):
    target = tmp_path / 'isic_out'
    _earlier(target)
    before = _files(target)
    with pytest.raises(RuntimeError), StagedOutputFolder(target) as staging:
        (staging / 'masks').mkdir()
        (staging / 'masks' / 'ISIC_2_segmentation.png').write_bytes(b'new mask')
        raise RuntimeError('the run failed half-way')
    assert _files(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['isic_out']


def test_leftovers_of_a_killed_run_are_cleared(tmp_path):
    """kill -9 during the run (a staging folder is left) or between the two
    renames of the swap (only the previous folder, moved aside, is left)."""
    target = tmp_path / 'isic_out'
    _earlier(target)
    before = _files(target)
    (staging_dir(target) / 'masks').mkdir(parents=True)
    (staging_dir(target) / 'masks' / 'half.png').write_bytes(b'x')
    target.rename(tmp_path / '.isic_out.previous')
    with StagedOutputFolder(target) as staging:
        assert _files(target) == before  # restored before the run
        assert [p.name for p in staging.iterdir()] == [OUTPUT_MARKER]
    assert _files(target) == {}  # the (empty) run replaced it as a whole


@pytest.mark.parametrize('kind', ('someone_elses_folder', 'a_file', 'holds_an_input'))
def test_what_is_never_replaced(tmp_path, kind):
    """A folder of files mmskin did not write, a file, and a folder holding
    an input of the run are refused before anything is written."""
    target = tmp_path / 'out'
    inputs = ()
    if kind == 'a_file':
        target.write_text('mine')
    else:
        target.mkdir()
        (target / 'notes.txt').write_text('mine')
        if kind == 'holds_an_input':
            mark_output_folder(target)
            inputs = (target / 'notes.txt', )
    with pytest.raises(ISICFileError, match=str(target)), \
            StagedOutputFolder(target, '--isic-out', inputs):
        pytest.fail('the run must not start')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out']
    assert (target.read_text() if kind == 'a_file' else (target / 'notes.txt').read_text()) \
        == 'mine'


def test_an_empty_folder_is_filled(tmp_path):
    target = tmp_path / 'out'
    target.mkdir()
    with StagedOutputFolder(target) as staging:
        (staging / 'per_image.csv').write_text('new')
    assert _files(target) == {'per_image.csv': b'new'}
