"""Train a model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] ...``.

The flags are MMDetection's. Checkpoints named by ``load_from`` or ``--resume``
and those in the work directory are trusted to be loaded in full under
torch >= 2.6 (see ``mmskin/utils/checkpoint.py``), and their weights must fit
the model, but for the config's ``load_from_reinit`` layers when starting from
``load_from`` (``mmskin/utils/checkpoint_fit.py``, ``docs/training.md``).
"""
import argparse

from mmengine.registry import RUNNERS

from mmskin.apis import (ConfigError, add_common_args, apply_common_args, check_train_schedule,
                         load_config, one_line_errors, parse_tool_args, resolve_resume)
from mmskin.engine import LesionRunner, init_cpu_distributed
from mmskin.utils import check_writable_dir


def parse_args():
    parser = argparse.ArgumentParser(description='Train an mmskin model')
    parser.add_argument('config', help='train config file path')
    add_common_args(parser, work_dir_help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate linearly with the total batch size '
        '(base: auto_scale_lr.base_batch_size in the config)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or without a value from the latest '
        'checkpoint in the work directory')
    return parse_tool_args(parser)


def main():
    args = parse_args()
    # Bad data, an unwritable work directory, a non-finite loss or weights,
    # a damaged checkpoint: one line naming the file or iteration, exit 1.
    with one_line_errors():
        cfg = load_config(args.config)
        apply_common_args(cfg, args)
        if args.amp:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        if args.auto_scale_lr:
            if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
                raise ConfigError(f'{args.config}: --auto-scale-lr needs '
                                  'auto_scale_lr.base_batch_size in the config')
            cfg.auto_scale_lr.enable = True
        check_train_schedule(cfg)
        resolve_resume(cfg, args.resume)
        check_writable_dir(cfg.work_dir, 'work directory')
        try:
            # CPU-only torch: start the gloo group that mmengine cannot.
            init_cpu_distributed(cfg.launcher)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        runner = LesionRunner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        runner.train()


if __name__ == '__main__':
    main()
