"""Training and inference throughput on one device (docs/performance.md).

    python benchmarks/gpu_throughput.py [--device cuda:0] [--iters 20] [--size 1024]
        [--infer-sizes 1024x768 3000x2250 6000x4500]

* Training: iterations/s of the paper's model (``configs/isic/
  mask_rcnn_r50_fpn_focaljac.py``) and of mmdet's stock Mask R-CNN R50-FPN
  (``mmdet::_base_/models/mask-rcnn_r50_fpn.py`` with 2 classes and, as in
  the paper's third phase, every backbone stage trainable) on the same
  batches of two 1024 x 1024 images, alternating iterations, in fp32 and with
  automatic mixed precision (float16; CUDA only), with a check
  that every loss stays finite and the peak device memory of each.
* The projected wall time of the paper's 160k-iteration schedule at the
  measured rate.
* Inference: images/s of ``predict_lesion`` at original ISIC sizes.

Weights are random (no download): the cost does not depend on them. With
``--device cpu --iters 2`` it is a smoke run that checks the script works.
"""
import argparse
import copy
import time
from collections import defaultdict

import numpy as np
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmskin  # noqa: F401  registers the model
from common import REPO, fmt, machine, median, print_table
from mmskin.apis import build_test_pipeline, predict_lesion

MAIN_CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'
STOCK_MODEL = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'
SCHEDULE_ITERS = 160_000


def training_models(device: str):
    """The main config's model and mmdet's stock Mask R-CNN, same backbone weights."""
    ours_cfg = Config.fromfile(str(MAIN_CONFIG)).model
    ours_cfg.backbone.init_cfg = None
    stock_cfg = Config.fromstring(f'_base_ = {STOCK_MODEL!r}', '.py').model
    stock_cfg.backbone.init_cfg = None
    # the same trainable layers: mmdet freezes the stem and res2, the main
    # config leaves freezing to its phase hook (phase 3 trains everything)
    stock_cfg.backbone.frozen_stages = ours_cfg.backbone.frozen_stages
    stock_cfg.roi_head.bbox_head.num_classes = 2
    stock_cfg.roi_head.mask_head.num_classes = 2
    # the same input handling for both: 1024 x 1024 batches
    stock_cfg.data_preprocessor = copy.deepcopy(ours_cfg.data_preprocessor)
    models = {}
    for name, cfg in (('ours', ours_cfg), ('stock mmdet', stock_cfg)):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.init_weights()
        models[name] = model.to(device).train()
    return models, Config.fromfile(str(MAIN_CONFIG))


def synthetic_batch(size: int, batch: int, seed: int) -> dict:
    """Two images with one elliptical lesion each, as the data pipeline packs them."""
    rng = np.random.default_rng(seed)
    inputs, samples = [], []
    for _ in range(batch):
        image = rng.integers(90, 220, (3, size, size), dtype=np.uint8)
        yy, xx = np.mgrid[:size, :size]
        cy, cx = rng.uniform(0.3, 0.7, 2) * size
        ry, rx = rng.uniform(0.1, 0.25, 2) * size
        mask = (((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 <= 1).astype(np.uint8)
        ys, xs = np.nonzero(mask)
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             pad_shape=(size, size), scale_factor=(1.0, 1.0),
                                             batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]],
                                dtype=torch.float32),
            labels=torch.tensor([int(rng.integers(0, 2))]),
            masks=BitmapMasks(mask[None], size, size))
        inputs.append(torch.from_numpy(image))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def train_iteration(model, optim_wrapper, batch) -> dict:
    """One ``train_step`` (the runner's): forward, backward, clipped SGD step."""
    log = {k: float(v) for k, v in model.train_step(copy.deepcopy(batch), optim_wrapper).items()}
    bad = {k: v for k, v in log.items() if not np.isfinite(v)}
    if bad:
        raise FloatingPointError(f'non-finite losses: {bad}')
    return log


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations of each')
    parser.add_argument('--warmup', type=int, help='untimed iterations (default 3; 1 on CPU)')
    parser.add_argument('--size', type=int, default=1024)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--infer-sizes', nargs='+', default=['1024x768', '3000x2250', '6000x4500'])
    parser.add_argument('--infer-images', type=int,
                        help='timed images per size (default 5; 1 on CPU)')
    args = parser.parse_args()
    device = torch.device(args.device)
    on_cpu = device.type == 'cpu'
    args.warmup = args.warmup if args.warmup is not None else (1 if on_cpu else 3)
    args.infer_images = args.infer_images or (1 if on_cpu else 5)
    init_default_scope('mmdet')
    print(f'machine: {machine()}; device {device}')
    models, main_cfg = training_models(args.device)
    batches = [synthetic_batch(args.size, args.batch, seed) for seed in range(4)]
    results = {}
    # mmcv's CPU NMS (RPN proposals while training) takes float32 only: mixed
    # precision runs on CUDA; on CPU the losses' autocast safety is a unit test.
    precisions = ('fp32', 'amp') if device.type == 'cuda' else ('fp32', )
    for precision in precisions:
        # the main config's optimizer (SGD, gradient clipping) for both; the
        # runner's AmpOptimWrapper (float16 autocast, loss scaling) for --amp
        wrapper_cfg = copy.deepcopy(main_cfg.optim_wrapper)
        if precision == 'amp':
            wrapper_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
        optimizers = {name: build_optim_wrapper(model, copy.deepcopy(wrapper_cfg))
                      for name, model in models.items()}
        times, peaks, last = defaultdict(list), {}, {}
        for step in range(args.warmup + args.iters):
            for name, model in models.items():
                if device.type == 'cuda':
                    torch.cuda.reset_peak_memory_stats(device)
                synchronize(device)
                start = time.perf_counter()
                last[name] = train_iteration(model, optimizers[name],
                                             batches[step % len(batches)])
                synchronize(device)
                if step >= args.warmup:
                    times[name].append(time.perf_counter() - start)
                if device.type == 'cuda':
                    peaks[name] = max(peaks.get(name, 0),
                                      torch.cuda.max_memory_allocated(device) / 1e9)
        results[precision] = (times, peaks, last)
    print(f'\n## training at {args.size}x{args.size}, {args.batch} images per iteration, '
          f'{args.iters} iterations each, alternating')
    rows = []
    for precision, (times, peaks, last) in results.items():
        stock = 1 / median(times['stock mmdet'])
        for name in models:
            rate = 1 / median(times[name])
            hours = SCHEDULE_ITERS / rate / 3600
            rows.append([name, precision, fmt(rate, 3), fmt(rate / stock, 3),
                         fmt(peaks.get(name, float('nan'))), fmt(hours, 1),
                         fmt(last[name]['loss'], 3)])
    print_table(['model', 'precision', 'iterations/s', 'ratio to stock',
                 'peak device memory (GB)', f'{SCHEDULE_ITERS // 1000}k iterations (h)',
                 'last loss'], rows)

    model = models['ours'].eval()
    model.cfg = main_cfg
    pipeline = build_test_pipeline(main_cfg)
    rows = []
    rng = np.random.default_rng(0)
    for spec in args.infer_sizes:
        width, height = (int(v) for v in spec.lower().split('x'))
        image = rng.integers(90, 220, (height, width, 3), dtype=np.uint8)
        if device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(device)
        predict_lesion(model, image, pipeline)  # warm-up
        synchronize(device)
        start = time.perf_counter()
        for _ in range(args.infer_images):
            predict_lesion(model, image, pipeline)
        synchronize(device)
        rate = args.infer_images / (time.perf_counter() - start)
        peak = (torch.cuda.max_memory_allocated(device) / 1e9 if device.type == 'cuda'
                else float('nan'))
        rows.append([f'{width}x{height}', fmt(rate, 2), fmt(peak)])
    print('\n## inference (predict_lesion, from the decoded image)')
    print_table(['photo', 'images/s', 'peak device memory (GB)'], rows)


if __name__ == '__main__':
    main()
