"""Is run B better than run A? A paired comparison on the same test images.

    python tools/analysis/compare_runs.py A/per_image.csv B/per_image.csv \
        [--common-only] [--ci-resamples N] [--seed S] [--json]

Reads two ``per_image.csv`` files (``tools/test.py --isic-out``) and prints,
for ``B - A``: the mean difference of JA, DI and TJA with a paired
bootstrap 95% interval and the Wilcoxon signed-rank p-value; the AUC
difference with DeLong's interval and test for correlated ROC curves; the
accuracy difference at p > 0.5 with McNemar's exact test
(``mmskin.analysis.comparison``). Runs scored on different images or
different ground-truth labels are refused (``--common-only`` compares the
images both scored). With ``--json`` the last line is one JSON object.
Exit status: 0 compared, 1 bad input (one line naming the file), 2 bad usage.
"""
import argparse
import dataclasses
import json
import math
import sys

from mmskin.analysis.comparison import compare_runs, pair_runs
from mmskin.apis import nonnegative_int, positive_int
from mmskin.evaluation import read_per_image
from mmskin.evaluation.statistics import N_RESAMPLES


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Paired comparison of two test runs (B - A) on the same images.')
    parser.add_argument('run_a', help='per_image.csv of run A')
    parser.add_argument('run_b', help='per_image.csv of run B')
    parser.add_argument('--common-only', action='store_true',
                        help='compare the images both runs scored instead of refusing runs '
                        'scored on different images')
    parser.add_argument('--ci-resamples', type=positive_int, default=N_RESAMPLES,
                        help='bootstrap resamples (default %(default)s)')
    parser.add_argument('--seed', type=nonnegative_int, default=0, help='bootstrap seed')
    parser.add_argument('--json', action='store_true', help='end with one JSON line')
    return parser.parse_args(argv)


def _signed(value: float) -> str:
    return f'{value:+.4f}'


def _print_table(args: argparse.Namespace, comparison) -> None:
    print(f'A = {args.run_a}\nB = {args.run_b}')
    print(f'paired comparison on {comparison.n_images} images, difference = B - A')
    header = ('metric', 'A', 'B', 'B - A', '95% interval', 'p', 'test')
    rows = [header]
    for s in comparison.scores:
        rows.append((s.metric, f'{s.a:.4f}', f'{s.b:.4f}', _signed(s.difference),
                     f'[{_signed(s.interval[0])}, {_signed(s.interval[1])}]',
                     f'{s.p_value:.3g}', s.test + (f' ({s.note})' if s.note else '')))
    widths = [max(len(row[k]) for row in rows) for k in range(len(header))]
    for row in rows:
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if comparison.classification_skipped:
        print(f'no classification comparison: {comparison.classification_skipped}')


def _json_value(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        run_a, run_b = read_per_image(args.run_a), read_per_image(args.run_b)
        paired_a, paired_b = pair_runs(run_a, run_b, args.run_a, args.run_b, args.common_only)
        comparison = compare_runs(paired_a, paired_b, n_resamples=args.ci_resamples,
                                  seed=args.seed)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    _print_table(args, comparison)
    if args.json:
        out = {'n': comparison.n_images}
        for score in comparison.scores:
            fields = dataclasses.asdict(score)
            fields['lo'], fields['hi'] = fields.pop('interval')
            out[fields.pop('metric')] = {key: _json_value(v) for key, v in fields.items()}
        sys.stdout.flush()
        print(json.dumps(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
