"""Keep the weights of one part of a model from a training checkpoint.

    python tools/misc/extract_weights.py work_dirs/isic2017_cpu_r18/iter_4000.pth \\
        --prefix backbone. --out work_dirs/isic2017_cpu_r18/backbone.pth

Writes ``{'state_dict': {name: tensor}}`` with the parameters and buffers
whose names start with PREFIX (names kept): a tensors-only file that loads
with ``weights_only=True``, e.g. as a backbone ``init_cfg=dict(
type='Pretrained', checkpoint=OUT, prefix='backbone.')``.
"""
import argparse
import io
import sys
from pathlib import Path

import torch

from mmskin.utils import ISICFileError, check_output_file, load_checkpoint_file, write_bytes_atomic


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write the tensors under one name prefix of a checkpoint to a new file')
    parser.add_argument('checkpoint', help='training checkpoint (trusted: loaded in full)')
    parser.add_argument('--prefix', required=True, help='e.g. backbone.')
    parser.add_argument('--out', required=True, help='output file')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not Path(args.checkpoint).is_file():
        sys.exit(f'error: {args.checkpoint}: checkpoint not found')
    try:
        check_output_file(args.out, '--out', [args.checkpoint])
    except ISICFileError as error:
        sys.exit(f'error: {error}')
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu', trusted=True)
    state_dict = checkpoint.get('state_dict', checkpoint)
    kept = {k: v for k, v in state_dict.items() if k.startswith(args.prefix)}
    if not kept:
        sys.exit(f'error: {args.checkpoint}: no weights named {args.prefix}*')
    buffer = io.BytesIO()
    torch.save({'state_dict': kept}, buffer)
    write_bytes_atomic(args.out, buffer.getvalue())
    print(f'{args.out}: {len(kept)} tensors under {args.prefix} '
          f'({sum(v.numel() for v in kept.values())} values)')


if __name__ == '__main__':
    main()
