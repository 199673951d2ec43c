"""Where the CPU time of a training iteration goes (docs/performance.md).

    python benchmarks/train_profile.py CONFIG [--iters N] [--warmup W]
        [--top K] [--cfg-options KEY=VALUE ...]

Runs CONFIG's training step (mmengine's ``model.train_step``: data
preprocessor, forward with the losses, backward, gradient clipping and
optimizer step) on N batches of CONFIG's training loader after W warm-up
iterations, and prints:

* wall and CPU time per iteration of each stage: data (loading and
  augmenting the batch, in this process), data preprocessor, backbone,
  neck, RPN head, RPN targets and loss, proposals, RoI assignment and
  sampling, box RoIAlign, box head, box targets and loss, mask RoIAlign,
  mask head, mask targets and loss; the backward pass of the mask head and
  the box head (module backward hooks), of the rest down to the neck's
  outputs (the losses, the RoIAlign and the RPN head), of the neck and of
  the backbone (hooks on the neck's and the backbone's outputs); the
  optimizer step (clipping included) and zeroing the gradients;
* ``torch.profiler``'s operators with the most time of their own, over
  a few more iterations (apart: the profiler's cost per operator would
  inflate the stage times).

The images are decoded in this process (no loader workers), so that their
cost is in the table rather than hidden in another process.
"""
import argparse
import time
from functools import reduce

from mmengine.config import DictAction
from torch.profiler import ProfilerActivity, profile

from common import (StageTimer, build_training, fmt, load_config, machine, print_table,
                    train_loader)

FORWARD_STAGES = (
    # (stage, attribute path on the detector, method)
    ('data preprocessor', 'data_preprocessor', 'forward'),
    ('backbone', 'backbone', 'forward'),
    ('neck', 'neck', 'forward'),
    ('RPN head', 'rpn_head', 'forward'),
    ('RPN targets and loss', 'rpn_head', 'loss_by_feat'),
    ('proposals', 'rpn_head', 'predict_by_feat'),
    ('RoI assign and sample', 'roi_head.bbox_assigner', 'assign'),
    ('RoI assign and sample', 'roi_head.bbox_sampler', 'sample'),
    ('box RoIAlign', 'roi_head.bbox_roi_extractor', 'forward'),
    ('box head', 'roi_head.bbox_head', 'forward'),
    ('box targets and loss', 'roi_head.bbox_head', 'loss_and_target'),
    ('mask RoIAlign', 'roi_head.mask_roi_extractor', 'forward'),
    ('mask head', 'roi_head.mask_head', 'forward'),
    ('mask targets and loss', 'roi_head.mask_head', 'loss_and_target'),
)
#: modules whose backward pass backward hooks time (their input is a tensor)
HOOKED_BACKWARD = ('mask_head', 'bbox_head')


def _attr(model, path: str):
    return reduce(getattr, path.split('.'), model)


class BackwardSplit:
    """Splits the backward pass where the gradients of the neck's outputs and
    then of the backbone's outputs are complete. Autograd runs the
    later-built nodes first when several are ready, so the heads' backward
    precedes the neck's, which precedes the backbone's."""

    def __init__(self, model, optim_wrapper, timer: StageTimer) -> None:
        self.timer = timer
        self.marks = {}
        self._restore = []
        self._watch(model.neck, 'neck')
        self._watch(model.backbone, 'backbone')
        original = optim_wrapper.backward

        def backward(*args, **kwargs):
            self.marks = {'start': _now()}
            original(*args, **kwargs)
            end = _now()
            for stage, begin, until in (
                    ('backward: heads, RoIAlign and losses', 'start', 'neck'),
                    ('backward: neck', 'neck', 'backbone'),
                    ('backward: backbone', 'backbone', None)):
                stop = self.marks[until] if until else end
                self.timer.totals[stage] += stop[0] - self.marks[begin][0]
                self.timer.cpu_totals[stage] += stop[1] - self.marks[begin][1]

        optim_wrapper.backward = backward
        self._restore.append(lambda: delattr(optim_wrapper, 'backward'))

    def _watch(self, module, name: str) -> None:
        # one pre-hook for all the module's outputs: it runs once the last of
        # their gradients is complete, the consumers' backward done
        handle = module.register_full_backward_pre_hook(
            lambda module, grad_output: self.marks.__setitem__(name, _now()))
        self._restore.append(handle.remove)

    def remove(self) -> None:
        for undo in reversed(self._restore):
            undo()


def _now():
    return time.perf_counter(), time.process_time()


def instrument(model, optim_wrapper, timer: StageTimer) -> list:
    """Wrap the forward stages and the optimizer; hook the heads' backward
    passes. Returns the handles that undo the hooks."""
    for stage, path, method in FORWARD_STAGES:
        timer.wrap(_attr(model, path), method, stage)
    timer.wrap(optim_wrapper, 'step', 'optimizer step')
    timer.wrap(optim_wrapper, 'zero_grad', 'zero grad')
    handles = []
    for name in HOOKED_BACKWARD:
        head = getattr(model.roi_head, name)
        span = timer.time(f'backward: {name}')
        handles.append(head.register_full_backward_pre_hook(
            lambda module, grad_output, span=span: span.__enter__()))
        handles.append(head.register_full_backward_hook(
            lambda module, grad_input, grad_output, span=span: span.__exit__()))
    split = BackwardSplit(model, optim_wrapper, timer)
    return handles + [split]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=10, help='iterations timed')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--top', type=int, default=15, help='operators listed')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args()
    cfg = load_config(args.config, args.cfg_options)
    model, optim_wrapper = build_training(cfg)
    batches = iter(train_loader(cfg))
    timer = StageTimer()
    handles = instrument(model, optim_wrapper, timer)
    batch_size = cfg.train_dataloader.batch_size
    print(f'machine: {machine()}')
    print(f'config: {args.config}, {batch_size} images per iteration, '
          f'{args.iters} iterations after {args.warmup} of warm-up')
    for index in range(args.warmup + args.iters):
        if index == args.warmup:
            timer.clear()
        with timer.time('iteration'):
            with timer.time('data'):
                batch = next(batches)
            model.train_step(batch, optim_wrapper)
    for handle in handles:
        handle.remove()
    timer.restore()
    # separately: the profiler's own cost per operator would inflate the stages
    profiled = min(args.iters, 3)
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(profiled):
            model.train_step(next(batches), optim_wrapper)

    n = args.iters
    iteration, iteration_cpu = timer.totals.pop('iteration'), timer.cpu_totals.pop('iteration')
    # the heads' own backward is part of the span down to the neck
    heads = 'backward: heads, RoIAlign and losses'
    for name in HOOKED_BACKWARD:
        timer.totals[heads] -= timer.totals[f'backward: {name}']
        timer.cpu_totals[heads] -= timer.cpu_totals[f'backward: {name}']
    stages = list(dict.fromkeys(stage for stage, _, _ in FORWARD_STAGES))
    stages = ['data'] + stages + [f'backward: {name}' for name in HOOKED_BACKWARD]
    stages += [heads, 'backward: neck', 'backward: backbone', 'optimizer step', 'zero grad']
    counted = sum(timer.totals[s] for s in stages)
    counted_cpu = sum(timer.cpu_totals[s] for s in stages)
    rows = [[s, fmt(1e3 * timer.totals[s] / n, 1), fmt(1e3 * timer.cpu_totals[s] / n, 1),
             fmt(100 * timer.cpu_totals[s] / iteration_cpu, 1)] for s in stages]
    rows.append(['rest (losses summed, parsing, hooks of the step)',
                 fmt(1e3 * (iteration - counted) / n, 1),
                 fmt(1e3 * (iteration_cpu - counted_cpu) / n, 1),
                 fmt(100 * (iteration_cpu - counted_cpu) / iteration_cpu, 1)])
    rows.append(['**iteration**', fmt(1e3 * iteration / n, 1), fmt(1e3 * iteration_cpu / n, 1),
                 '100.0'])
    print('\n## time per iteration by stage')
    print_table(['stage', 'wall ms', 'CPU ms', 'CPU %'], rows)
    print(f'\nimages/s: {fmt(n * batch_size / iteration)} (wall), '
          f'{fmt(n * batch_size / iteration_cpu)} (per CPU second)')
    # the profiler's times are elapsed time in the operator: on shared cores
    # they include waiting for one, so shares are what to compare
    print(f'\n## torch.profiler: operators with the most time of their own '
          f'(ms per iteration, {profiled} more iterations)')
    events = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    print_table(['operator', 'calls per iteration', 'self ms', 'self %'], [
        [e.key, fmt(e.count / profiled, 1), fmt(e.self_cpu_time_total / 1e3 / profiled, 1),
         fmt(100 * e.self_cpu_time_total / total, 1)] for e in events[:args.top]
    ])


if __name__ == '__main__':
    main()
