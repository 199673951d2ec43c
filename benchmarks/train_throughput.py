"""Training images per second of two configs, side by side (docs/performance.md).

    python benchmarks/train_throughput.py CONFIG_A CONFIG_B [--iters N]
        [--warmup W] [--threads TA TB] [--cfg-options KEY=VALUE ...]

Builds both configs' models from the same initial weights (CONFIG_A's,
seeded; CONFIG_B's model must have the same parameters) and optimizers, and
trains them alternately (A, B, then B, A, ...) on the same batches of
CONFIG_A's training loader, decoded beforehand, so that both see the same
load on a shared machine. A training iteration is mmengine's
``model.train_step``: data preprocessor, forward with the losses, backward,
gradient clipping and optimizer step; loading the data is not in it
(``benchmarks/train_profile.py`` times it). Prints, with the CPU model and
its bfloat16 flags, each config's median wall and CPU time per iteration,
its images/s, the ratio B / A, and the loss of the first and last iteration
(same initial weights: the first losses differ only by what B changes in
the maths).
"""
import argparse
import time

import torch
from mmengine.config import DictAction

from common import build_training, fmt, load_config, machine, median, print_table, train_loader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config_a')
    parser.add_argument('config_b')
    parser.add_argument('--iters', type=int, default=20, help='iterations timed per config')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, nargs=2, metavar=('TA', 'TB'),
                        help="torch threads of A and of B (default: torch's, for both)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='applied to both configs (e.g. the data paths)')
    args = parser.parse_args()
    threads = args.threads or [torch.get_num_threads()] * 2
    configs = {'A': load_config(args.config_a, args.cfg_options),
               'B': load_config(args.config_b, args.cfg_options)}
    batch_size = configs['A'].train_dataloader.batch_size
    if configs['B'].train_dataloader.batch_size != batch_size:
        raise SystemExit(f'error: {args.config_b}: batch size '
                         f'{configs["B"].train_dataloader.batch_size}, {args.config_a} has '
                         f'{batch_size}; the same batches need the same size')
    loader = iter(train_loader(configs['A']))
    batches = [next(loader) for _ in range(args.warmup + args.iters)]
    model_a, optim_a = build_training(configs['A'])
    try:
        model_b, optim_b = build_training(configs['B'], state_dict=model_a.state_dict())
    except RuntimeError as error:
        raise SystemExit(f'error: {args.config_b}: its model does not take the weights of '
                         f'{args.config_a}: {str(error).splitlines()[0]}') from None
    runs = {'A': (model_a, optim_a, threads[0]), 'B': (model_b, optim_b, threads[1])}
    walls = {name: [] for name in runs}
    cpus = {name: [] for name in runs}
    losses = {name: [] for name in runs}
    for index, batch in enumerate(batches):
        for name in ('A', 'B') if index % 2 == 0 else ('B', 'A'):
            model, optim_wrapper, num_threads = runs[name]
            torch.set_num_threads(num_threads)
            wall, cpu = time.perf_counter(), time.process_time()
            log_vars = model.train_step(batch, optim_wrapper)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            losses[name].append(float(log_vars['loss']))
            if index >= args.warmup:
                walls[name].append(wall)
                cpus[name].append(cpu)

    print(f'machine: {machine()}')
    print(f'{args.iters} iterations of {batch_size} images each after {args.warmup} of '
          f'warm-up, alternating, the same batches and initial weights')
    rows = []
    for name, path in (('A', args.config_a), ('B', args.config_b)):
        wall, cpu = median(walls[name]), median(cpus[name])
        rows.append([f'{name}: {path}', runs[name][2], fmt(wall, 3), fmt(cpu, 3),
                     fmt(batch_size / wall), fmt(batch_size / cpu),
                     fmt(losses[name][0], 3), fmt(losses[name][-1], 3)])
    print_table(['config', 'threads', 'wall s / iter (median)', 'CPU s / iter (median)',
                 'images/s (wall)', 'images per CPU second', 'first loss', 'last loss'], rows)
    wall_ratio = median(walls['A']) / median(walls['B'])
    cpu_ratio = median(cpus['A']) / median(cpus['B'])
    print(f'ratio B / A: {fmt(wall_ratio)}x images/s (wall), {fmt(cpu_ratio)}x images per '
          f'CPU second')


if __name__ == '__main__':
    main()
