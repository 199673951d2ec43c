"""RoIAlign as a sparse matrix product, for CPUs.

mmcv's CPU RoIAlign (``mmcv/ops/csrc/pytorch/cpu/roi_align.cpp``) loops over
the RoIs and then over the channels of an NCHW feature map on one thread, in
the forward and in the backward pass. With a fixed number of samples per bin
(``sampling_ratio > 0``) every output value is a fixed weighted sum of at
most ``4 * sampling_ratio ** 2`` feature pixels, so the whole layer is one
sparse matrix ``S`` (one row per output bin, one column per feature pixel of
the batch) applied to the features laid out as ``(pixels, channels)``:
``out = S @ F`` and, for the backward pass, ``dF = S.T @ dout``: products
of a CSR matrix and a dense one, which torch computes on all its threads
with vectorised inner loops over the channels. ``S`` holds mmcv's bilinear
weights (its clamping at the border and its zero outside ``[-1, size]``),
so the output equals mmcv's up to the order of the float additions.
"""
import warnings
from typing import Tuple, Union

import torch
from mmdet.registry import MODELS
from torch import Tensor, nn
from torch.nn.modules.utils import _pair


def _axis_weights(coord: Tensor, size: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """mmcv's ``bilinear_interpolate`` along one axis: the low and high
    neighbours of each sampling coordinate and their weights, zero where the
    point lies outside ``[-1, size]``."""
    inside = ((coord >= -1.0) & (coord <= size)).to(coord.dtype)
    coord = coord.clamp(min=0.0)
    # (clamped below too: a NaN coordinate gets index 0 and NaN weights,
    # never an index outside the map)
    low = coord.floor().long().clamp(0, size - 1)
    high = (low + 1).clamp(max=size - 1)
    coord = torch.where(low >= size - 1, low.to(coord.dtype), coord)
    frac = coord - low
    return low, high, (1.0 - frac) * inside, frac * inside


def _check_sampling_ratio(sampling_ratio: int) -> None:
    if int(sampling_ratio) <= 0:
        raise ValueError(f'SparseRoIAlign needs sampling_ratio > 0, got {sampling_ratio}: '
                         'a fixed number of samples per bin (mmcv.ops.RoIAlign takes 0)')


class _SparseRowsProduct(torch.autograd.Function):
    """``matrix @ pixels`` for a sparse matrix with ``per_row`` entries in
    each row, given row by row as ``cols`` and ``values`` (a column may come
    twice in a row: the entries add). CSR products both ways: the forward
    one as given, the backward one with the entries sorted by column (a
    stable sort: the same order of additions every time)."""

    @staticmethod
    def forward(ctx, pixels: Tensor, cols: Tensor, values: Tensor, per_row: int) -> Tensor:
        num_rows, num_pixels = cols.numel() // per_row, pixels.size(0)
        row_ptr = torch.arange(0, cols.numel() + 1, per_row, device=cols.device)
        with warnings.catch_warnings():  # torch: 'Sparse CSR tensor support is in beta'
            warnings.simplefilter('ignore', UserWarning)
            matrix = torch.sparse_csr_tensor(row_ptr, cols, values, (num_rows, num_pixels),
                                             check_invariants=False)
        ctx.save_for_backward(cols, values)
        ctx.per_row, ctx.num_pixels = per_row, num_pixels
        return torch.sparse.mm(matrix, pixels)

    @staticmethod
    def backward(ctx, grad: Tensor):
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        cols, values = ctx.saved_tensors
        order = torch.argsort(cols, stable=True)
        col_ptr = torch.searchsorted(
            cols[order], torch.arange(ctx.num_pixels + 1, device=cols.device))
        transposed = torch.sparse_csr_tensor(
            col_ptr, order // ctx.per_row, values[order],
            (ctx.num_pixels, cols.numel() // ctx.per_row), check_invariants=False)
        return torch.sparse.mm(transposed, grad.contiguous()), None, None, None


def sparse_roi_align(feats: Tensor, rois: Tensor, output_size: Tuple[int, int],
                     spatial_scale: float, sampling_ratio: int,
                     aligned: bool = True) -> Tensor:
    """Average RoIAlign of ``rois`` (K, 5: batch index, x1, y1, x2, y2) on
    ``feats`` (N, C, H, W), ``sampling_ratio`` x ``sampling_ratio`` points
    per bin: (K, C, *output_size), as ``mmcv.ops.roi_align`` with ``pool_mode
    'avg'``. No gradient flows to ``rois`` (none does in mmcv)."""
    _check_sampling_ratio(sampling_ratio)
    num_imgs, channels, height, width = feats.shape
    out_h, out_w = output_size
    num_rois = rois.size(0)
    if num_rois == 0:
        return feats.new_zeros(0, channels, out_h, out_w)
    dtype = feats.dtype if feats.dtype in (torch.float32, torch.float64) else torch.float32
    rois = rois.detach().to(dtype)
    img = rois[:, 0].long()
    first, last = (int(i) for i in torch.aminmax(img))
    if first < 0 or last >= num_imgs:
        raise ValueError(f'RoI batch indices {first}..{last} outside the {num_imgs} feature maps')
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (rois[:, i] * spatial_scale - offset for i in range(1, 5))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:  # mmcv's legacy mode: RoIs at least one pixel wide
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    bin_w, bin_h = roi_w / out_w, roi_h / out_h
    steps = torch.arange(sampling_ratio, dtype=dtype, device=feats.device) + 0.5
    # sampling coordinates, placed as mmcv places them: (K, bins, samples)
    ys = (y1[:, None, None]
          + torch.arange(out_h, dtype=dtype, device=feats.device)[None, :, None]
          * bin_h[:, None, None] + steps[None, None] * (bin_h / sampling_ratio)[:, None, None])
    xs = (x1[:, None, None]
          + torch.arange(out_w, dtype=dtype, device=feats.device)[None, :, None]
          * bin_w[:, None, None] + steps[None, None] * (bin_w / sampling_ratio)[:, None, None])
    y_low, y_high, wy_low, wy_high = _axis_weights(ys, height)
    x_low, x_high, wx_low, wx_high = _axis_weights(xs, width)
    # every (row bin, column bin, row sample, column sample, row corner,
    # column corner): (K, out_h, out_w, s, s, 2, 2)
    y_idx = torch.stack([y_low, y_high], -1)[:, :, None, :, None, :, None]
    x_idx = torch.stack([x_low, x_high], -1)[:, None, :, None, :, None, :]
    wy = torch.stack([wy_low, wy_high], -1)[:, :, None, :, None, :, None]
    wx = torch.stack([wx_low, wx_high], -1)[:, None, :, None, :, None, :]
    img = img[:, None, None, None, None, None, None]
    shape = (num_rois, out_h, out_w, sampling_ratio, sampling_ratio, 2, 2)
    cols = ((img * height + y_idx) * width + x_idx).expand(shape).reshape(-1)
    values = (wy * wx).expand(shape).reshape(-1) / float(sampling_ratio * sampling_ratio)
    pixels = feats.to(dtype).permute(0, 2, 3, 1).reshape(-1, channels)
    out = _SparseRowsProduct.apply(pixels, cols, values, 4 * sampling_ratio * sampling_ratio)
    return out.view(num_rois, out_h, out_w, channels).permute(0, 3, 1, 2).to(feats.dtype)


@MODELS.register_module()
class SparseRoIAlign(nn.Module):
    """``mmcv.ops.RoIAlign`` with a fixed sampling grid, computed by
    :func:`sparse_roi_align`; the same arguments, so a config swaps one for
    the other in ``roi_layer`` of :class:`~mmskin.models.roi_heads.
    LesionRoIExtractor`. No parameters: checkpoints of either load into the
    other.

    Args:
        output_size: height and width of each RoI's output.
        spatial_scale: feature-map pixels per image pixel.
        sampling_ratio: sampling points per bin along each axis; must be
            positive (mmcv's ``0``, a grid that follows each RoI's size, is
            not a fixed matrix).
        pool_mode: ``'avg'`` only.
        aligned: shift the RoI by half a pixel (Detectron2's ``aligned``).
        use_torchvision: accepted for mmcv's signature; must be ``False``.
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float = 1.0,
                 sampling_ratio: int = 2, pool_mode: str = 'avg', aligned: bool = True,
                 use_torchvision: bool = False) -> None:
        super().__init__()
        _check_sampling_ratio(sampling_ratio)
        if pool_mode != 'avg':
            raise ValueError(f"SparseRoIAlign pools by 'avg' only, got pool_mode={pool_mode!r}")
        if use_torchvision:
            raise ValueError('SparseRoIAlign does not call torchvision: use_torchvision=False')
        self.output_size = _pair(output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.pool_mode = pool_mode
        self.aligned = aligned

    def forward(self, feats: Tensor, rois: Tensor) -> Tensor:
        return sparse_roi_align(feats, rois, self.output_size, self.spatial_scale,
                                self.sampling_ratio, self.aligned)

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, aligned={self.aligned}')
