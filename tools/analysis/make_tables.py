"""A table of the paper with our runs beside its numbers.

    python tools/analysis/make_tables.py RUN_DIR... --table VI \
        [--format markdown|latex|csv] [--out DIR] [--ci none]

Each RUN_DIR is the ``--isic-out`` folder of ``tools/test.py`` for one config
of the table: either ``CONFIG=RUN_DIR`` or a folder with the config's name
in its path (``work_dirs/mask_rcnn_r101_fpn_dice/isic_out``). Prints the
table (``mmskin.analysis.tables``): for each row of the paper and each
metric, the paper's value and ours with its 95% interval; with ``--out DIR``
it writes ``DIR/table_<name>.md``, ``.tex`` and ``.csv`` as well (DIR is
never one of the RUN_DIRs).
Classification is scored with benign as the positive class, as the paper
reports it. Exit status: 0 written, 1 bad input (one line naming the file).
"""
import argparse
import os.path as osp
import sys

from mmskin.analysis.paper_tables import PAPER_TABLES
from mmskin.analysis.tables import TABLE_FORMATS, assign_runs, render_table, reproduce_table
from mmskin.apis import add_interval_args, interval_resamples
from mmskin.utils import check_output_file, check_output_folder, write_text_atomic


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
    paths = {fmt: osp.join(args.out, f'table_{table.name}{suffix}')
             for fmt, suffix in TABLE_FORMATS.items()} if args.out else {}
    try:
        if args.out:
            run_dirs = [run.split('=', 1)[-1] for run in args.runs]
            check_output_folder(args.out, '--out', run_dirs)
            for path in paths.values():
                check_output_file(path, '--out')
        runs = assign_runs(table, args.runs)
        rows = reproduce_table(table, runs,
                               n_resamples=interval_resamples(args),
                               seed=args.seed)
        print(render_table(table, rows, args.format), end='')
        for fmt, path in paths.items():
            write_text_atomic(path, render_table(table, rows, fmt))
            print(f'wrote {path}', file=sys.stderr)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
