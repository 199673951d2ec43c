"""Fit an operating point and a calibration on a test run of the calibration part.

    python tools/analysis/operating_point.py CALIB_RUN_DIR [--rule sens90|youden|sensNN] \
        [--calibration platt|temperature] [--out FILE]

CALIB_RUN_DIR is the ``--isic-out`` folder of ``tools/test.py`` run on the
calibration part of the split (``tools/misc/make_split.py
--calib-fraction``): images the model did not train on and the reported
figures do not use. Writes ``CALIB_RUN_DIR/operating_point.json`` (or FILE):
the threshold the rule picks, the rule, the SE / SP it gives on these
images, their count, the source file, and the calibration of
``p_malignant`` (``mmskin.analysis.operating_point``). Then
``tools/test.py ... --operating-point FILE`` reports the validation part at
that point and ``tools/infer.py ... --threshold FILE`` labels with it.
Exit status: 0 written, 1 bad input (one line naming the file).
"""
import argparse
import sys
from pathlib import Path

from mmskin.analysis.operating_point import (DEFAULT_RULE, OPERATING_POINT_NAME, check_rule,
                                             fit_operating_point, rule_help,
                                             write_operating_point)
from mmskin.evaluation import read_per_image
from mmskin.evaluation.calibration import CALIBRATION_METHODS
from mmskin.utils import ISICFileError


def rule_arg(text: str) -> str:
    """``--rule``: a rule :func:`check_rule` knows."""
    try:
        return check_rule(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Operating point and calibration of p_malignant from a calibration run')
    parser.add_argument('run_dir', help='the --isic-out folder of tools/test.py on the '
                        'calibration part (its per_image.csv is read)')
    parser.add_argument('--rule', default=DEFAULT_RULE, type=rule_arg,
                        help=f'{rule_help()} (default %(default)s)')
    parser.add_argument('--calibration', choices=CALIBRATION_METHODS, default='platt',
                        help='calibration of p_malignant (default %(default)s)')
    parser.add_argument('--out', help=f'the JSON to write (default RUN_DIR/{OPERATING_POINT_NAME})')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    source = Path(args.run_dir) / 'per_image.csv'
    out = Path(args.out) if args.out else Path(args.run_dir) / OPERATING_POINT_NAME
    try:
        point = fit_operating_point(read_per_image(source), args.rule, args.calibration,
                                    source=str(source))
        write_operating_point(out, point)
    except (OSError, ISICFileError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    except ValueError as error:  # the lesions cannot give an operating point
        print(f'error: {source}: {error}', file=sys.stderr)
        return 1
    fitted = point['calibration']
    print(f'rule {point["rule"]} on {point["n"]} lesions ({point["n_malignant"]} malignant): '
          f'threshold {point["threshold"]:.4f}, SE {point["calibration_SE"]:.3f}, '
          f'SP {point["calibration_SP"]:.3f}')
    print(f'calibration {fitted["method"]}: a {fitted["a"]:.3f}, b {fitted["b"]:.3f}; ECE '
          f'{fitted["ECE"]:.3f} -> {fitted["ECE_calibrated"]:.3f} on these lesions')
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
