"""mmcv's CPU RoIAlign against SparseRoIAlign, in the RoI extractor, side by side.

    python benchmarks/roi_align.py [--repeats N] [--channels C] [--size S]

Times mmdet's ``SingleRoIExtractor`` with mmcv's ``RoIAlign`` (A) and
``LesionRoIExtractor`` with ``SparseRoIAlign`` (B), both with 2 x 2 samples
per bin, alternately (A, B, then B, A), on the same FPN features (strides
4-32 of an S x S input, C channels) and the same lesion-like RoIs (sides of
4 % to 80 % of the input), as the fast leaf uses them: the box and the mask
extractor in training (4 images, 32 and 8 RoIs each, forward and backward)
and at inference (one image, the 1000 proposals of the box head, forward).
Prints, with the CPU model, the median milliseconds of each, the ratio A / B
and the largest difference between their outputs.
"""
import argparse
import time

import torch
from mmdet.registry import MODELS

from common import fmt, machine, median, print_table

#: (case, images, RoIs per image, output side, with the backward pass)
CASES = [('box, training', 4, 32, 7, True), ('mask, training', 4, 8, 14, True),
         ('box, inference', 1, 1000, 7, False)]
STRIDES = [4, 8, 16, 32]


def extractor(layer: str, output_size: int, channels: int):
    sparse = layer == 'SparseRoIAlign'
    return MODELS.build(dict(
        type='LesionRoIExtractor' if sparse else 'SingleRoIExtractor',
        roi_layer=dict(type=layer, output_size=output_size, sampling_ratio=2),
        out_channels=channels, featmap_strides=STRIDES))


def lesion_rois(images: int, per_image: int, size: int, generator) -> torch.Tensor:
    """(images * per_image, 5) boxes of sides 4 % to 80 % of the input."""
    count = images * per_image
    sides = size * (0.04 + 0.76 * torch.rand(count, 2, generator=generator))
    centres = size * torch.rand(count, 2, generator=generator)
    low = (centres - sides / 2).clamp(0, size - 1)
    high = torch.maximum((centres + sides / 2).clamp(1, size), low + 1)
    index = torch.arange(images).repeat_interleave(per_image).float()
    return torch.cat([index[:, None], low, high], dim=1)


def step(model, feats, rois, backward: bool):
    if backward:
        feats = [f.detach().requires_grad_(True) for f in feats]
        out = model(feats, rois)
        out.sum().backward()
        return out.detach()
    with torch.no_grad():
        return model(feats, rois)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--channels', type=int, default=64,
                        help="the FPN's channels (the CPU configs': 64)")
    parser.add_argument('--size', type=int, default=256, help='side of the input')
    args = parser.parse_args()
    import mmskin  # noqa: F401  registers LesionRoIExtractor, SparseRoIAlign
    generator = torch.Generator().manual_seed(0)
    print(f'machine: {machine()}')
    print(f'{args.repeats} repeats of each, alternating, after one of warm-up; '
          f'{args.size} x {args.size} input, {args.channels} channels')
    rows = []
    for name, images, per_image, output_size, backward in CASES:
        feats = [torch.randn(images, args.channels, args.size // s, args.size // s,
                             generator=generator) for s in STRIDES]
        rois = lesion_rois(images, per_image, args.size, generator)
        models = {'A': extractor('RoIAlign', output_size, args.channels),
                  'B': extractor('SparseRoIAlign', output_size, args.channels)}
        outs = {key: step(model, feats, rois, backward) for key, model in models.items()}
        times = {'A': [], 'B': []}
        for repeat in range(args.repeats):
            for key in ('AB' if repeat % 2 == 0 else 'BA'):
                start = time.perf_counter()
                step(models[key], feats, rois, backward)
                times[key].append(time.perf_counter() - start)
        a, b = median(times['A']) * 1e3, median(times['B']) * 1e3
        rows.append([name, len(rois), fmt(a), fmt(b), f'{a / b:.2f}x',
                     f'{float((outs["A"] - outs["B"]).abs().max()):.1e}'])
    print_table(['case', 'RoIs', 'A: mmcv RoIAlign, ms', 'B: SparseRoIAlign, ms',
                 'A / B', 'largest output difference'], rows)


if __name__ == '__main__':
    main()
