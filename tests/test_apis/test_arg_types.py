"""The argparse types of the tools' numeric flags."""
import argparse

import pytest

from mmskin.apis import (nonnegative_float, nonnegative_int, positive_float, positive_int,
                         probability)


@pytest.mark.parametrize('kind, good, bad', [
    (nonnegative_int, {'0': 0, '24': 24}, ('-1', '2.5', 'x', '')),
    (positive_int, {'1': 1, '1000': 1000}, ('0', '-3', '1e3')),
    (nonnegative_float, {'0': 0.0, '2.5': 2.5}, ('-0.1', 'nan', 'inf')),
    (positive_float, {'0.04': 0.04}, ('0', '-1', 'inf')),
    (probability, {'0': 0.0, '0.3': 0.3, '1': 1.0}, ('1.5', '-0.2', 'nan')),
])
def test_values_outside_the_domain_are_usage_errors(kind, good, bad):
    for text, value in good.items():
        assert kind(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=f'{text!r} is not a'):
            kind(text)


def test_argparse_names_the_flag_and_exits_2(capsys):
    parser = argparse.ArgumentParser(prog='report')
    parser.add_argument('--gallery', type=nonnegative_int, default=24)
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(['--gallery', '-1'])
    assert exit_.value.code == 2
    assert "report: error: argument --gallery: '-1' is not a whole number >= 0" in \
        capsys.readouterr().err
