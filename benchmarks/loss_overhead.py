"""Training cost of the paper's losses against mmdet's stock Mask R-CNN losses
(docs/performance.md).

    python benchmarks/loss_overhead.py [CONFIG] [--size 256] [--iters 8]

Builds CONFIG's model twice with the same weights: ours (focal loss Eq. 2
in the RPN and the classify subnet, smooth L1 Eq. 3, BCE + Jaccard Eq. 5 for
masks) and stock (mmdet's Mask R-CNN R50-FPN losses: sigmoid / softmax
cross-entropy, L1, mask cross-entropy). On one training batch of CONFIG's
training set at ``size``, alternates training iterations (forward, backward,
SGD step) of the two, and prints the median iteration time of each, their
ratio, and the forward time of the loss modules.
"""
import argparse
import copy
import time
from collections import defaultdict
from functools import wraps

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmskin  # noqa: F401  registers the losses and heads
from common import REPO, fmt, machine, median, print_table

STOCK_LOSSES = {
    ('rpn_head', 'loss_cls'): dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
    ('rpn_head', 'loss_bbox'): dict(type='L1Loss', loss_weight=1.0),
    ('roi_head.bbox_head', 'loss_cls'): dict(type='CrossEntropyLoss', use_sigmoid=False,
                                             loss_weight=1.0),
    ('roi_head.bbox_head', 'loss_bbox'): dict(type='L1Loss', loss_weight=1.0),
    ('roi_head.mask_head', 'loss_mask'): dict(type='CrossEntropyLoss', use_mask=True,
                                              loss_weight=1.0),
}


def _node(model_cfg, path: str):
    node = model_cfg
    for key in path.split('.'):
        node = node[key]
    return node


def with_size(cfg: Config, size: int) -> Config:
    cfg = copy.deepcopy(cfg)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = (size, size)
        if step['type'] == 'Pad':
            step['size'] = (size, size)
    return cfg


def time_losses(model, totals: dict) -> None:
    for path, attr in STOCK_LOSSES:
        module = getattr(model.get_submodule(path), attr)
        original = module.forward
        key = f'{path.split(".")[-1]}.{attr}'

        @wraps(original)
        def timed(*args, __original=original, __key=key, **kwargs):
            start = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                totals['loss'] += elapsed
                totals[__key] += elapsed

        module.forward = timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=str(REPO / 'configs/isic/demo_cpu_r18.py'))
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--iters', type=int, default=8, help='timed iterations of each')
    parser.add_argument('--warmup', type=int, default=2)
    args = parser.parse_args()
    cfg = with_size(Config.fromfile(args.config), args.size)
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None  # no download; the weights do not change the cost
    stock_model_cfg = copy.deepcopy(cfg.model)
    for (path, attr), loss in STOCK_LOSSES.items():
        _node(stock_model_cfg, path)[attr] = loss
    torch.manual_seed(0)
    models = {'ours (Eq. 2, 3, 5)': MODELS.build(cfg.model),
              'stock mmdet losses': MODELS.build(stock_model_cfg)}
    reference = next(iter(models.values()))
    reference.init_weights()
    for model in models.values():
        model.load_state_dict(reference.state_dict())
        model.train()
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=0)))
    optim = {name: build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
             for name, model in models.items()}
    loss_time = {name: defaultdict(float) for name in models}
    for name, model in models.items():
        time_losses(model, loss_time[name])
    iteration = defaultdict(list)
    losses = defaultdict(list)
    per_loss = defaultdict(lambda: defaultdict(list))
    for step in range(args.warmup + args.iters):
        for name, model in models.items():
            loss_time[name].clear()
            start = time.perf_counter()
            logs = model.train_step(copy.deepcopy(batch), optim[name])
            wall = time.perf_counter() - start
            if step >= args.warmup:
                iteration[name].append(wall)
                losses[name].append(loss_time[name]['loss'])
                for key, value in loss_time[name].items():
                    per_loss[name][key].append(value)
            assert all(torch.isfinite(v).all() for v in logs.values()), logs
    print(f'machine: {machine()}')
    print(f'config: {args.config} at {args.size}x{args.size}, batch '
          f'{cfg.train_dataloader.batch_size}, {args.iters} iterations each, alternating')
    stock = median(iteration['stock mmdet losses'])
    keys = [f'{path.split(".")[-1]}.{attr}' for path, attr in STOCK_LOSSES]
    rows = [[name, fmt(median(iteration[name]), 3), fmt(median(iteration[name]) / stock, 3),
             fmt(1e3 * median(losses[name]), 1)] +
            [fmt(1e3 * median(per_loss[name][key]), 1) for key in keys] for name in models]
    print_table(['losses', 'iteration (s, median)', 'ratio to stock',
                 'loss forward (ms, median)'] + [f'{key} (ms)' for key in keys], rows)
    extra = median(losses['ours (Eq. 2, 3, 5)']) - median(losses['stock mmdet losses'])
    print(f'loss forward of ours minus stock: {1e3 * extra:.1f} ms, '
          f'{100 * extra / stock:.2f} % of a stock iteration')


if __name__ == '__main__':
    main()
