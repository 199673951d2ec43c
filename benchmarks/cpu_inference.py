"""Where the CPU time of inference goes, and the faster settings (docs/performance.md).

    python benchmarks/cpu_inference.py CONFIG CHECKPOINT IMAGE_DIR
        [--sizes 256 1024] [--limit N] [--threads T]

For each network input size (the test pipeline's ``Resize`` / ``Pad``), runs
:func:`mmskin.apis.predict_lesion` on the images of IMAGE_DIR with several
settings, alternating them image by image, and prints:

* the time of each stage of the forward pass (backbone, FPN, RPN head,
  proposal post-processing, RoIAlign of the box head, box head, detection
  post-processing, RoIAlign of the mask head, mask head, paste at the
  original size, the rest), per image, for each setting;
* images/s of each setting and its ratio to the reference (mmdet's full
  output with the config's settings);
* how far each setting's lesion is from the reference's: pixels that differ
  as a fraction of the reference mask (worst image and overall), and the
  largest change of ``p_malignant``.
"""
import argparse
import contextlib
import copy
import time
from collections import defaultdict

import torch

import mmskin.models.detectors.skin_lesion_mask_rcnn as detector_module
from common import StageTimer, fmt, machine, print_table
from mmskin.apis import build_test_pipeline, init_lesion_model, predict_lesion
from mmskin.utils import list_images, read_image

#: settings compared: name -> (instance_masks, RPN proposals kept, RoIAlign
#: sampling ratio (None: the config's), torch threads (None: --threads or torch's))
SETTINGS = {
    'mmdet full output, 1000 proposals (reference)': (True, 1000, None, None),
    'lesion mask only, 1000 proposals': (False, 1000, None, None),
    'lesion mask only, 1000 proposals, 1 thread': (False, 1000, None, 1),
    'lesion mask only, 500 proposals': (False, 500, None, None),
    'lesion mask only, 300 proposals': (False, 300, None, None),
    'lesion mask only, 100 proposals': (False, 100, None, None),
    'lesion mask only, 1000 proposals, sampling_ratio 2': (False, 1000, 2, None),
}
REFERENCE = next(iter(SETTINGS))
STAGES = ('backbone', 'FPN', 'RPN head', 'proposals', 'box RoIAlign', 'box head',
          'detections', 'mask RoIAlign', 'mask head', 'paste')


def instrument(model, timer: StageTimer) -> None:
    timer.wrap(model.backbone, 'forward', 'backbone')
    timer.wrap(model.neck, 'forward', 'FPN')
    timer.wrap(model.rpn_head, 'forward', 'RPN head')
    timer.wrap(model.rpn_head, 'predict_by_feat', 'proposals')
    timer.wrap(model.roi_head.bbox_roi_extractor, 'forward', 'box RoIAlign')
    timer.wrap(model.roi_head.bbox_head, 'forward', 'box head')
    timer.wrap(model.roi_head.bbox_head, 'predict_by_feat', 'detections')
    timer.wrap(model.roi_head.mask_roi_extractor, 'forward', 'mask RoIAlign')
    timer.wrap(model.roi_head.mask_head, 'forward', 'mask head')
    # mmdet's pasting of every instance, or ours of the kept ones
    timer.wrap(model.roi_head.mask_head, 'predict_by_feat', 'paste')
    timer.wrap(detector_module, 'paste_lesion_mask', 'paste')


@contextlib.contextmanager
def setting(model, instance_masks: bool, proposals: int, sampling_ratio):
    rpn_cfg = model.rpn_head.test_cfg
    layers = list(model.roi_head.bbox_roi_extractor.roi_layers) + list(
        model.roi_head.mask_roi_extractor.roi_layers)
    saved = (model.instance_masks, rpn_cfg.max_per_img, [layer.sampling_ratio for layer in layers])
    model.instance_masks = instance_masks
    rpn_cfg.max_per_img = proposals
    if sampling_ratio is not None:
        for layer in layers:
            layer.sampling_ratio = sampling_ratio
    try:
        yield
    finally:
        model.instance_masks, rpn_cfg.max_per_img = saved[:2]
        for layer, ratio in zip(layers, saved[2]):
            layer.sampling_ratio = ratio


def with_input_size(cfg, size: int):
    cfg = copy.deepcopy(cfg)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = (size, size)
        if step['type'] == 'Pad':
            step['size'] = (size, size)
    return cfg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', help='folder of test images (e.g. the demo test set)')
    parser.add_argument('--sizes', type=int, nargs='+', default=[256, 1024])
    parser.add_argument('--limit', type=int, default=40, help='images used at most')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--threads', type=int,
        help="torch threads of the settings that do not fix them (default: torch's)")
    parser.add_argument('--settings', nargs='+', choices=list(SETTINGS), default=list(SETTINGS))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    default_threads = torch.get_num_threads()
    settings = {name: SETTINGS[name] for name in dict.fromkeys([REFERENCE] + args.settings)}
    images = [read_image(p) for p in list_images(args.images)[:args.limit]]
    model = init_lesion_model(args.config, args.checkpoint, 'cpu')
    print(f'machine: {machine()}')
    print(f'model: {args.config}, {len(images)} images of {args.images}')
    for size in args.sizes:
        pipeline = build_test_pipeline(with_input_size(model.cfg, size))
        timers = {name: StageTimer() for name in settings}
        walls = defaultdict(float)
        lesions = defaultdict(list)
        for index, image in enumerate([images[0]] * args.warmup + images):
            for name, (instance_masks, proposals, ratio, threads) in settings.items():
                torch.set_num_threads(threads or default_threads)
                timer = timers[name]
                instrument(model, timer)
                with setting(model, instance_masks, proposals, ratio), torch.no_grad():
                    start = time.perf_counter()
                    lesion = predict_lesion(model, image, pipeline)
                    wall = time.perf_counter() - start
                timer.restore()
                if index < args.warmup:
                    timer.totals.clear()
                    continue
                walls[name] += wall
                lesions[name].append(lesion)
        n = len(images)
        print(f'\n## input {size}x{size}: time per image (ms) by stage')
        rows = []
        for name, timer in timers.items():
            staged = [timer.totals[s] for s in STAGES]
            rest = walls[name] - sum(staged)
            rows.append([name] + [fmt(1e3 * t / n, 1) for t in staged + [rest, walls[name]]])
        print_table(['setting'] + list(STAGES) + ['rest', 'total'], rows)
        print(f'\n## input {size}x{size}: throughput and lesion against the reference')
        rows = []
        reference = lesions[REFERENCE]
        for name in settings:
            diffs, areas, dp, changed = [], [], [], 0
            for ours, ref in zip(lesions[name], reference):
                diffs.append(int((ours.mask != ref.mask).sum()))
                areas.append(max(int(ref.mask.sum()), 1))
                dp.append(abs(ours.p_malignant - ref.p_malignant))
                changed += diffs[-1] > 0.005 * areas[-1]
            worst = max(d / a for d, a in zip(diffs, areas))
            rows.append([name, fmt(n / walls[name]), fmt(walls[REFERENCE] / walls[name]),
                         f'{100 * worst:.3f}', f'{100 * sum(diffs) / sum(areas):.3f}',
                         f'{changed} / {n}', f'{max(dp):.2e}'])
        print_table(['setting', 'images/s', 'speed-up', 'mask pixels changed, worst image (%)',
                     'overall (%)', 'images changed > 0.5 %', 'max |dp_malignant|'], rows)


if __name__ == '__main__':
    main()
