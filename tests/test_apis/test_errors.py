"""How a failed run is reported: one line naming the file, or a traceback
for a bug; SIGTERM ends the run as Ctrl-C does."""
import errno
import os
import signal

import pytest
from torch.utils.data import DataLoader, Dataset

from mmskin.apis import one_line_errors, report_line, sigterm_as_interrupt
from mmskin.engine import NonFiniteLossError
from mmskin.utils import CheckpointIntegrityError, ISICFileError


class _BadImage(Dataset):

    def __len__(self):
        return 2

    def __getitem__(self, index):
        raise ISICFileError('/data/ISIC_0000001.jpg', 'corrupt or truncated image')


def test_an_error_raised_in_a_dataloader_worker_is_reported_as_itself():
    loader = DataLoader(_BadImage(), num_workers=1)
    with pytest.raises(Exception) as caught:
        next(iter(loader))
    assert 'DataLoader worker' in str(caught.value)  # torch wraps it
    assert report_line(caught.value) == '/data/ISIC_0000001.jpg: corrupt or truncated image'


@pytest.mark.parametrize('error, line', [
    (ISICFileError('a.jpg', 'not an image'), 'a.jpg: not an image'),
    (NonFiniteLossError('iteration 3: the loss is nan'), 'iteration 3: the loss is nan'),
    (CheckpointIntegrityError('x.pth: damaged'), 'x.pth: damaged'),
    (OSError(errno.ENOSPC, 'No space left on device', '/w/iter_1.pth'),
     '/w/iter_1.pth: No space left on device'),
    (OSError(errno.EFBIG, 'out.json: cannot write the file (File too large)'),
     'out.json: cannot write the file (File too large)'),
    (FileNotFoundError('c.pth: no such checkpoint file'), 'c.pth: no such checkpoint file'),
    (KeyError('a bug'), None),
    (RuntimeError('a bug'), None),
])
def test_report_line(error, line):
    assert report_line(error) == line


def test_one_line_errors_exits_with_the_line_and_keeps_bugs():
    with pytest.raises(SystemExit, match='^error: a.jpg: not an image$'):
        with one_line_errors():
            raise ISICFileError('a.jpg', 'not an image')
    with pytest.raises(ZeroDivisionError), one_line_errors():
        print(1 / 0)


def test_sigterm_inside_the_block_is_an_interruption_and_the_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match='signal 15'):
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_ends_one_line_errors_as_an_interruption():
    with pytest.raises(SystemExit, match='interrupted; the outputs written before are kept'):
        with one_line_errors():
            os.kill(os.getpid(), signal.SIGTERM)
