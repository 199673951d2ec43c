"""argparse types of the numeric flags of the tools: each value is checked
against its domain where the command line is read, so that ``--gallery -1``
or ``--ci-resamples 0`` is a usage error naming the flag (exit status 2),
not a slice from the end or a division by zero later on."""
import argparse
import math
from typing import Callable


def _number(parse: Callable[[str], float], kind: str, low: float, high: float = math.inf,
            low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: ``parse(text)`` if it lies in ``[low, high]`` (or
    ``(low, high]`` with ``low_open``); anything else, NaN and infinities
    included, is an ``ArgumentTypeError`` saying what was expected."""
    bounds = f'> {low}' if low_open else f'>= {low}'
    if high != math.inf:
        bounds = f'in {"(" if low_open else "["}{low}, {high}]'
    expected = f'{kind} {bounds}'

    def checked(text: str) -> float:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a {expected}') from None
        if not (math.isfinite(value) and (low < value if low_open else low <= value)
                and value <= high):
            raise argparse.ArgumentTypeError(f'{text!r} is not a {expected}')
        return value

    return checked


#: A whole number >= 0 (e.g. a seed, a gallery size).
nonnegative_int = _number(int, 'whole number', 0)
#: A whole number >= 1 (e.g. processes, threads, resamples, iterations).
positive_int = _number(int, 'whole number', 1)
#: A finite number >= 0 (e.g. a time in seconds).
nonnegative_float = _number(float, 'number', 0.0)
#: A finite number > 0 (e.g. a scale factor).
positive_float = _number(float, 'number', 0.0, low_open=True)
#: A probability or threshold in [0, 1].
probability = _number(float, 'number', 0.0, 1.0)
