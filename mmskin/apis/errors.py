"""How a failed run of a tool is reported: the errors a user can act on
become one line naming the file (or the iteration) and exit status 1; any
other error is a bug and keeps its traceback."""
import errno
import re
import sys
from contextlib import contextmanager
from typing import Iterator, Optional

from mmskin.engine import CheckpointWriteError, NonFiniteLossError, NonFiniteWeightsError
from mmskin.utils import CheckpointIntegrityError, ISICFileError, UntrustedCheckpointError
from .signals import sigterm_as_interrupt


class ConfigError(ValueError):
    """A config or command line that cannot run, with the reason."""


#: Errors whose message is the whole report: one line naming the file (or the
#: iteration) and the problem.
REPORTED_ERRORS = (ConfigError, ISICFileError, NonFiniteLossError, NonFiniteWeightsError,
                   CheckpointWriteError, CheckpointIntegrityError, UntrustedCheckpointError)
#: System errors of writing and reading files, reported with the file's name.
FILE_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS,
               errno.ENOENT, errno.EIO)
# The last line of a traceback re-raised from a DataLoader worker:
# "<module>.<Name>: <message>".
_WORKER_ERROR = re.compile(r'^(?:[\w.]+\.)?(?P<name>\w+): (?P<message>.+)$')


def report_line(error: BaseException) -> Optional[str]:
    """The one-line report of an error a user can act on, or None for a bug.

    Besides :data:`REPORTED_ERRORS` and file system errors, this recognises
    them when a DataLoader worker raised them (torch re-raises them in the
    main process wrapped in a traceback text).
    """
    if isinstance(error, REPORTED_ERRORS):
        return str(error)
    if isinstance(error, FileNotFoundError) or (isinstance(error, OSError)
                                                and error.errno in FILE_ERRNOS):
        if error.filename is not None:
            return f'{error.filename}: {error.strerror}'
        return error.strerror or str(error)
    text = str(error)
    if 'DataLoader worker' in text:
        last = text.strip().splitlines()[-1]
        match = _WORKER_ERROR.match(last)
        names = {kind.__name__ for kind in REPORTED_ERRORS}
        if match and match['name'] in names:
            return match['message']
    return None


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn the errors of :func:`report_line` into ``error: <line>`` on stderr
    and exit status 1; anything else (a bug) keeps its traceback. SIGTERM
    is an interruption too (:func:`sigterm_as_interrupt`), so that the
    clean-up of an interrupted run (staged and pending files) happens."""
    try:
        with sigterm_as_interrupt():
            yield
    except KeyboardInterrupt:
        sys.exit('error: interrupted; the outputs written before are kept')
    except Exception as error:  # classified by report_line
        line = report_line(error)
        if line is None:
            raise
        sys.exit(f'error: {line}')
