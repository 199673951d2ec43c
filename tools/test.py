"""Test a model with the ISIC metrics:
``python tools/test.py CONFIG CHECKPOINT [--isic-out DIR] [--out F.pkl] [--show-dir D]
[--tta] [--operating-point FILE]``.

Prints the segmentation (JA, DI, AC, SE, SP, thresholded JA) and
classification (AC, AUC, AP, SE, SP) tables, each mean with its 95%
interval (bootstrap over images, DeLong's for AUC; ``--ci none`` turns them
off). With ``--isic-out DIR`` it also writes the per-image CSV, the
predicted masks as ISIC-named 0/255 PNGs and the Part 3 submission CSV (see
docs/evaluation.md), and with ``--report`` the HTML report ``DIR/report.html``
(photos and ground truth from the test dataset); ``--cam`` adds the Grad-CAM
map of the malignancy call to its galleries (:func:`mmskin.apis.lesion_cam`).
``--tta`` tests with the config's test-time augmentation (``tta_model``,
``tta_pipeline``: flips merged into the one lesion), as mmdet's ``--tta``.
``--operating-point FILE`` (``tools/analysis/operating_point.py``) also reports AC, SE and SP at
its threshold beside the ISIC 0.5, and the ECE before and after its
calibration; the file is copied into the ``--isic-out`` folder.
"""
import argparse
import json
import os

import torch
from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS

from mmskin.analysis.operating_point import (OPERATING_POINT_NAME, read_operating_point,
                                             write_operating_point)
from mmskin.apis import (ConfigError, StagedOutputFolder, add_common_args, add_interval_args,
                         add_operating_point_metric, add_threads_arg, apply_common_args,
                         apply_cpu_threads, apply_tta, enable_instance_masks, interval_resamples,
                         lesion_cam_of, load_config, nonnegative_float, one_line_errors,
                         parse_tool_args, set_isic_intervals, set_isic_out_dir, staging_dir)
from mmskin.engine import LesionTestRunner, init_cpu_distributed
from mmskin.evaluation.metrics import AtomicDumpDetResults
from mmskin.utils import (check_output_file, check_output_folder, check_writable_dir,
                          trust_checkpoint)
from mmskin.visualization.run_report import REPORT_NAME, write_test_report


def parse_args():
    parser = argparse.ArgumentParser(description='Test an mmskin model with the ISIC metrics')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_common_args(parser, work_dir_help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--isic-out', help='folder for per-image CSV, ISIC mask PNGs and the Part 3 CSV')
    add_interval_args(parser)
    parser.add_argument(
        '--report', action='store_true',
        help='write the HTML report of the run into the --isic-out folder')
    parser.add_argument(
        '--cam', action='store_true',
        help="show the Grad-CAM map of the malignant logit of each gallery photo's lesion box "
        'in the report, and a gallery of the most confident malignant calls')
    parser.add_argument(
        '--cam-layer',
        help='module the maps explain, e.g. backbone.layer4 (default: the FPN output the '
        "lesion's box is pooled from)")
    parser.add_argument('--out', help='dump raw predictions to a pickle file')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='save painted images under work_dir/<timestamp>/SHOW_DIR')
    parser.add_argument('--wait-time', type=nonnegative_float, default=2,
                        help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true',
        help='test-time augmentation: the config\'s tta_model and tta_pipeline (flips)')
    parser.add_argument(
        '--operating-point', metavar='FILE',
        help='operating_point.json of tools/analysis/operating_point.py: also report AC, SE, '
        'SP at its threshold and the ECE before and after its calibration')
    add_threads_arg(parser)
    return parse_tool_args(parser)


def run_inputs(cfg, args) -> list:
    """What the run reads, which no output may replace or be written among:
    the config, the checkpoint, the test set's annotation file and the
    folders of its images."""
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:  # dataset wrappers
        dataset = dataset.dataset
    root = dataset.get('data_root') or ''
    prefix = (dataset.get('data_prefix') or {}).get('img') or ''
    ann_file = os.path.join(root, dataset.get('ann_file') or '')
    try:
        with open(ann_file, encoding='utf-8') as f:
            images = json.load(f)['images']
        folders = {os.path.dirname(os.path.join(root, prefix, image['file_name']))
                   for image in images}
    except (OSError, ValueError, KeyError, TypeError):
        folders = set()  # an unreadable file is reported when the dataset is built
    return [args.config, args.checkpoint, ann_file, *sorted(folders)]


def main():
    args = parse_args()
    # Bad data, an unwritable folder, a damaged checkpoint: one line naming
    # the file, exit 1.
    with one_line_errors():
        cfg = load_config(args.config)
        apply_common_args(cfg, args)
        if not args.checkpoint.startswith(('http://', 'https://')) and \
                not os.path.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint file {args.checkpoint} does not exist')
        if args.report and not args.isic_out:
            raise ConfigError('--report needs --isic-out: the report is written from its files')
        if args.cam and not args.report:
            raise ConfigError('--cam needs --report: the maps are shown in the report')
        if args.cam_layer and not args.cam:
            raise ConfigError('--cam-layer needs --cam')
        if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out {args.out}: the dump file must end in .pkl')
        cfg.load_from = args.checkpoint
        trust_checkpoint(args.checkpoint)
        point = read_operating_point(args.operating_point) if args.operating_point else None
        if point is not None:
            add_operating_point_metric(cfg, point)
        if args.tta:
            if args.out is not None or args.show or args.show_dir:
                raise ConfigError('--tta merges the views into one lesion per image; --out, '
                                  '--show and --show-dir need every detection: run them '
                                  'without --tta')
            apply_tta(cfg)
        if args.isic_out:
            # Written into a staging folder that replaces --isic-out only when
            # the whole run succeeds: the folder never mixes two runs.
            set_isic_out_dir(cfg, str(staging_dir(args.isic_out)))
        n_resamples = interval_resamples(args)
        set_isic_intervals(cfg, n_resamples)
        # Every detection's mask only for what reads it (--out, painting,
        # COCO metrics); the ISIC metrics need the lesion's alone.
        enable_instance_masks(cfg, dump=args.out is not None,
                              show=bool(args.show or args.show_dir))
        apply_cpu_threads(args.cpu_threads, 'cuda' if torch.cuda.is_available() else 'cpu')
        inputs = run_inputs(cfg, args)
        check_output_folder(cfg.work_dir, 'work directory')
        check_writable_dir(cfg.work_dir, 'work directory')
        if args.isic_out:
            check_output_folder(args.isic_out, '--isic-out', inputs, replaced=True)
        if args.show_dir:
            # Painted images take the photos' names, in WORK_DIR/<timestamp>/
            # SHOW_DIR (SHOW_DIR itself if absolute).
            check_output_folder(os.path.normpath(os.path.join(
                cfg.work_dir, 'timestamp', args.show_dir)), '--show-dir', inputs)
        if args.out is not None:
            check_output_file(args.out, '--out', inputs)
            check_writable_dir(os.path.dirname(os.path.abspath(args.out)), '--out folder')
        try:
            # CPU-only torch: start the gloo group that mmengine cannot.
            init_cpu_distributed(cfg.launcher)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        if args.show or args.show_dir:
            cfg = trigger_visualization_hook(cfg, args)
        runner = LesionTestRunner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        saliency = None
        if args.cam:
            # The model the run loads its checkpoint into.
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            saliency = lesion_cam_of(model, cfg, args.cam_layer)
        if args.out is not None:
            runner.test_evaluator.metrics.append(AtomicDumpDetResults(out_file_path=args.out))
        if args.isic_out:
            with StagedOutputFolder(args.isic_out, '--isic-out', inputs) as staging:
                runner.test()
                if point is not None and is_main_process():
                    write_operating_point(staging / OPERATING_POINT_NAME, point)
                if args.report and is_main_process():
                    # Part of the run's output: committed with it, or not at all.
                    write_test_report(cfg, runner.test_dataloader.dataset, str(staging),
                                      n_resamples, saliency=saliency)
            if args.report and is_main_process():
                runner.logger.info(f'report: {os.path.join(args.isic_out, REPORT_NAME)}')
        else:
            runner.test()


if __name__ == '__main__':
    main()
