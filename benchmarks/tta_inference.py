"""Time per image of inference with and without test-time augmentation.

    python benchmarks/tta_inference.py CONFIG CHECKPOINT IMAGE_DIR [--limit N] [--threads T]

Runs :func:`mmskin.apis.predict_lesion` on the photos of IMAGE_DIR with the
plain model and with the config's test-time augmentation (``--tta`` of the
tools), alternating image by image so that other jobs on the machine slow
both alike, and prints the median CPU and wall time per image of each (CPU
time, unlike wall time, hardly moves when other jobs share the cores).
"""
import argparse
import time

import torch

from common import fmt, machine, median, print_table
from mmskin.apis import build_test_pipeline, init_lesion_model, predict_lesion
from mmskin.utils import list_images, read_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('image_dir')
    parser.add_argument('--limit', type=int, default=50, help='images timed (default 50)')
    parser.add_argument('--threads', type=int, default=1, help='torch threads (default 1)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = {}
    for tta in (False, True):
        model = init_lesion_model(args.config, args.checkpoint, 'cpu', tta=tta)
        models['TTA (3 views)' if tta else 'plain'] = (
            model, build_test_pipeline(model.cfg, tta=tta))
    images = [read_image(p) for p in list_images(args.image_dir)[:args.limit]]
    for model, pipeline in models.values():  # warm-up
        predict_lesion(model, images[0], pipeline)
    times = {name: ([], []) for name in models}
    for image in images:
        for name, (model, pipeline) in models.items():
            wall, cpu = time.perf_counter(), time.process_time()
            predict_lesion(model, image, pipeline)
            times[name][0].append(time.process_time() - cpu)
            times[name][1].append(time.perf_counter() - wall)
    print(f'{machine()}; {len(images)} images, {args.threads} thread(s)')
    plain_cpu = median(times['plain'][0])
    print_table(('inference', 'CPU s / image (median)', 'wall s / image (median)', 'CPU ratio'),
                [(name, fmt(median(cpu), 3), fmt(median(wall), 3), fmt(median(cpu) / plain_cpu))
                 for name, (cpu, wall) in times.items()])


if __name__ == '__main__':
    main()
