"""Two CPU processes (gloo) must give the metrics of a single process."""
import json
import socket
import time

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmskin.evaluation.metrics import ISICClsMetric, ISICSegMetric

NUM_IMAGES = 7  # odd: the ranks hold different numbers of images


def _samples(make_sample):
    rng = np.random.default_rng(5)
    samples = []
    for i in range(NUM_IMAGES):
        h, w = rng.integers(6, 12, size=2)
        gt = rng.random((h, w)) < 0.4
        pred = rng.random((h, w)) < 0.4 if i != 3 else np.zeros((h, w), bool)
        samples.append(
            make_sample(f'ISIC_{i:07d}', gt, pred, i % 2, rng.random(), detected=i != 3))
    return samples


def _evaluate(samples, out_dir, collect_dir, size):
    metrics = [
        ISICSegMetric(out_dir=out_dir, collect_dir=collect_dir + '_seg'),
        ISICClsMetric(sensitivities=(0.5, ), collect_dir=collect_dir + '_cls')
    ]
    scores = {}
    for metric in metrics:
        metric.process({}, samples)
        scores.update(metric.evaluate(size))
    return scores


def _worker(rank, port, tmp_dir, samples):
    # forked from a process that may have used OpenMP: stay single-threaded
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        # DefaultSampler's split: rank r takes images r, r + 2, ...
        shard = samples[rank::2]
        scores = _evaluate(shard, f'{tmp_dir}/ddp_out', f'{tmp_dir}/collect', NUM_IMAGES)
        with open(f'{tmp_dir}/rank{rank}.json', 'w') as f:
            json.dump(scores, f)
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_match_one(tmp_path, make_sample):
    samples = _samples(make_sample)
    single = _evaluate(samples, str(tmp_path / 'single_out'), str(tmp_path / 'collect1'),
                       NUM_IMAGES)
    context = mp.start_processes(
        _worker, args=(_free_port(), str(tmp_path), samples), nprocs=2, join=False,
        start_method='fork')
    deadline = time.monotonic() + 60
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.terminate()
            pytest.fail('the DDP workers did not finish within 60 s')
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.json') as f:
            ddp = json.load(f)
        assert ddp.keys() == single.keys()
        for name, value in single.items():
            assert ddp[name] == pytest.approx(value, abs=1e-12), name
    # each rank wrote its own masks; rank 0 wrote the table in dataset order
    masks = sorted(p.name for p in (tmp_path / 'ddp_out' / 'masks').iterdir())
    assert masks == [f'ISIC_{i:07d}_segmentation.png' for i in range(NUM_IMAGES)]
    assert ((tmp_path / 'ddp_out' / 'per_image.csv').read_text() ==
            (tmp_path / 'single_out' / 'per_image.csv').read_text())
