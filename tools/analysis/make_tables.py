"""A table of the paper with our runs beside its numbers.

    python tools/analysis/make_tables.py RUN_DIR... --table VI \
        [--format markdown|latex|csv] [--out DIR] [--ci none]

Each RUN_DIR is the ``--isic-out`` folder of ``tools/test.py`` for one config
of the table: either ``CONFIG=RUN_DIR`` or a folder with the config's name
in its path (``work_dirs/mask_rcnn_r101_fpn_dice/isic_out``). Prints the
table (``mmskin.analysis.tables``): for each row of the paper and each
metric, the paper's value and ours with its 95% interval; with ``--out DIR``
it writes ``DIR/table_<name>.md``, ``.tex`` and ``.csv`` as well.
Classification is scored with benign as the positive class, as the paper
reports it. Exit status: 0 written, 1 bad input (one line naming the file).
"""
import argparse
import os
import os.path as osp
import sys

from mmskin.analysis.paper_tables import PAPER_TABLES
from mmskin.analysis.tables import TABLE_FORMATS, assign_runs, render_table, reproduce_table
from mmskin.apis import add_interval_args, interval_resamples


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='A paper table with our runs beside it.')
    parser.add_argument('runs', nargs='+', metavar='RUN_DIR',
                        help='[CONFIG=]RUN_DIR, the --isic-out folder of a config of the table')
    parser.add_argument('--table', required=True, choices=list(PAPER_TABLES),
                        help='the paper table (III-X)')
    parser.add_argument('--format', choices=list(TABLE_FORMATS), default='markdown',
                        help='what to print (default %(default)s)')
    parser.add_argument('--out', help='folder to write table_<name>.md, .tex and .csv into')
    add_interval_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    table = PAPER_TABLES[args.table]
    try:
        runs = assign_runs(table, args.runs)
        rows = reproduce_table(table, runs,
                               n_resamples=interval_resamples(args),
                               seed=args.seed)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(render_table(table, rows, args.format), end='')
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for fmt, suffix in TABLE_FORMATS.items():
            path = osp.join(args.out, f'table_{table.name}{suffix}')
            with open(path, 'w') as f:
                f.write(render_table(table, rows, fmt))
            print(f'wrote {path}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
