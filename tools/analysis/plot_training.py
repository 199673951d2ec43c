"""Training curves of a run, from its own scalar log.

    python tools/analysis/plot_training.py WORK_DIR [--out PNG]

Reads ``WORK_DIR/<timestamp>/vis_data/scalars.json`` (mmengine's
``LocalVisBackend``) and the config saved beside it, and draws each loss
term, the learning rate and each validation metric against the iteration,
with the three training phases and the learning-rate steps marked
(``mmskin.visualization.training_curves``). Writes
``WORK_DIR/training_curves.png`` unless ``--out`` names another file.
Exit status: 0 written, 1 bad input (one line naming the file).
"""
import argparse
import os.path as osp
import sys

from mmskin.visualization.isic_plots import save_figure
from mmskin.visualization.training_curves import read_training_log, training_figure


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot the training curves of a run.')
    parser.add_argument('work_dir', help='the work directory of tools/train.py')
    parser.add_argument('--out', help='PNG file (default WORK_DIR/training_curves.png)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = args.out or osp.join(args.work_dir, 'training_curves.png')
    try:
        log = read_training_log(args.work_dir)
        save_figure(training_figure(log), out)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {out}: {len(log.losses)} loss terms, {len(log.validation)} validation '
          f'metrics, phases at {log.phase_begins}, lr steps at {log.lr_milestones}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
