"""SIGTERM (a scheduler's or ``kill``'s stop) handled as Ctrl-C, so that an
interrupted run cleans up as it does on ``KeyboardInterrupt``."""
import signal
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Raise ``KeyboardInterrupt`` on SIGTERM inside the block; the previous
    handler comes back afterwards. Signal handlers can only be set from the
    main thread, so elsewhere the block runs unchanged."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f'signal {signum}')

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, interrupted) if main_thread else None
    try:
        yield
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
