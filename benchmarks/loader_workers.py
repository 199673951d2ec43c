"""Training data loader throughput against the number of workers
(docs/performance.md).

    python benchmarks/loader_workers.py DATA_ROOT ANN_FILE [--workers 0 1 2 4] [--batches 20]

Iterates the main config's training data loader (its full training pipeline:
load, resize, pad, the paper's augmentation, box from mask; 2 images per
batch) on DATA_ROOT / ANN_FILE with each number of workers, and prints the
images/s after the first batch, the time to the first batch (what persistent
workers save at each new epoch or validation round) and the CPU time the
main process spends waiting. ``benchmarks/resized_copy_loading.py --work DIR``
leaves a long-side-1024 copy of ISIC-size JPEGs in DIR to use here.
"""
import argparse
import copy
import resource
import time

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmskin  # noqa: F401  registers the dataset and transforms
from common import REPO, fmt, machine, print_table

MAIN_CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('ann_file')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 1, 2, 4])
    parser.add_argument('--batches', type=int, default=20)
    args = parser.parse_args()
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(MAIN_CONFIG))
    print(f'machine: {machine()}')
    rows = []
    for workers in args.workers:
        loader_cfg = copy.deepcopy(cfg.train_dataloader)
        loader_cfg.num_workers = workers
        loader_cfg.persistent_workers = workers > 0
        loader_cfg.dataset.data_root = args.data_root
        loader_cfg.dataset.ann_file = args.ann_file
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        cpu_start = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        iterator = iter(loader)
        next(iterator)
        first = time.perf_counter() - start
        start = time.perf_counter()
        images = 0
        for _ in range(args.batches):
            images += len(next(iterator)['inputs'])
        wall = time.perf_counter() - start
        cpu_end = resource.getrusage(resource.RUSAGE_SELF)
        main_cpu = (cpu_end.ru_utime + cpu_end.ru_stime - cpu_start.ru_utime -
                    cpu_start.ru_stime)
        rows.append([workers, fmt(images / wall, 1), fmt(first), fmt(main_cpu / (images + 2), 3)])
        del iterator, loader
    print(f'main config training pipeline, batch {cfg.train_dataloader.batch_size}, '
          f'{args.batches} batches after the first')
    print_table(['workers', 'images/s', 'first batch (s)', 'main-process CPU s / image'], rows)


if __name__ == '__main__':
    main()
