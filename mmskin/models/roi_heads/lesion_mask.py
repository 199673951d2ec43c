"""The lesion mask pasted from the mask head, one box region at a time.

mmdet's ``FCNMaskHead.predict_by_feat`` pastes every detection's 28 x 28
mask onto its own canvas of the full image size (``_do_paste_mask``): on a
6000 x 4500 photo that is 27 MB per detection, for detections the results
combination then throws away (mmdet issue #8232). :func:`paste_lesion_mask`
pastes only the masks it is given, each on the region of the image its box
can reach, into one canvas, with the same arithmetic as mmdet, so every
pixel equals mmdet's.
"""
import math
from typing import Iterator, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def paste_region(box: Tensor, mask_size: int, img_h: int, img_w: int,
                 whole_support: bool) -> Tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the pixels a pasted box mask can touch.

    Args:
        box: ``(x0, y0, x1, y1)`` in the pasting resolution.
        mask_size: side of the mask head's square output.
        img_h, img_w: size of the image pasted into.
        whole_support: ``False``: the box widened by one pixel, the region
            mmdet pastes on CPU (``skip_empty=True``). ``True``: every pixel
            whose bilinear sample of the mask can be non-zero, which reaches
            half a mask cell beyond the box; mmdet pastes the whole image on
            GPU, and outside this region its values are exactly zero
            (except for a box of zero width or height, where mmdet's
            whole-image grid turns the infinite coordinates into the mask's
            centre line, across the image).
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    margin_x = margin_y = 0.0
    if whole_support:
        margin_x = 0.5 * max(x1 - x0, 0.0) / mask_size
        margin_y = 0.5 * max(y1 - y0, 0.0) / mask_size
    # As _do_paste_mask: floor / ceil of the box, one pixel of slack.
    left = max(int(math.floor(x0 - margin_x)) - 1, 0)
    top = max(int(math.floor(y0 - margin_y)) - 1, 0)
    right = min(int(math.ceil(x1 + margin_x)) + 1, img_w)
    bottom = min(int(math.ceil(y1 + margin_y)) + 1, img_h)
    return left, top, max(right, left), max(bottom, top)


def _paste_one(mask_prob: Tensor, box: Tensor, region: Tuple[int, int, int, int]) -> Tensor:
    """mmdet's ``_do_paste_mask`` for one mask on ``region``: the same grid
    arithmetic, so the same value at every pixel."""
    left, top, right, bottom = region
    device = mask_prob.device
    x0, y0, x1, y1 = torch.split(box[None], 1, dim=1)
    img_y = torch.arange(top, bottom, device=device).to(torch.float32) + 0.5
    img_x = torch.arange(left, right, device=device).to(torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1
    img_x[torch.isinf(img_x)] = 0
    img_y[torch.isinf(img_y)] = 0
    gx = img_x[:, None, :].expand(1, img_y.size(1), img_x.size(1))
    gy = img_y[:, :, None].expand(1, img_y.size(1), img_x.size(1))
    grid = torch.stack([gx, gy], dim=3)
    return F.grid_sample(
        mask_prob[None, None].to(dtype=torch.float32), grid, align_corners=False)[0, 0]


def _pasted_regions(mask_probs: Tensor, boxes: Tensor, img_h: int,
                    img_w: int) -> Iterator[Tuple[Tuple[int, int, int, int], Tensor]]:
    """Each mask pasted on its box's region: ``(region, probabilities)``."""
    whole_support = mask_probs.device.type != 'cpu'
    for mask_prob, box in zip(mask_probs, boxes):
        region = paste_region(box, mask_prob.size(-1), img_h, img_w, whole_support)
        left, top, right, bottom = region
        if right > left and bottom > top:
            yield region, _paste_one(mask_prob, box, region)


def paste_lesion_mask(mask_probs: Tensor, boxes: Tensor, img_h: int, img_w: int,
                      threshold: float) -> Tensor:
    """The union of binary masks pasted into an ``(img_h, img_w)`` image.

    Args:
        mask_probs: (K, M, M) mask probabilities (after the sigmoid) of the
            detections to paste, each in its class channel.
        boxes: (K, 4) their boxes in the pasting resolution.
        img_h, img_w: size of the image pasted into.
        threshold: a pixel is in a mask iff its probability is ``>=``
            threshold (mmdet's ``mask_thr_binary``); must be > 0, since
            pixels outside every box region are left out.

    Returns:
        bool (img_h, img_w): the pixels of mmdet's pasted masks of these
        detections (its CPU pasting on CPU, its whole-image pasting on other
        devices), or-ed together. Memory: one boolean image plus one box
        region at a time, whatever K is.
    """
    if threshold <= 0:
        raise ValueError(f'mask_thr_binary must be > 0 to paste by region, got {threshold}')
    canvas = torch.zeros((img_h, img_w), dtype=torch.bool, device=mask_probs.device)
    for (left, top, right, bottom), pasted in _pasted_regions(mask_probs, boxes, img_h, img_w):
        canvas[top:bottom, left:right] |= pasted >= threshold
    return canvas


def paste_lesion_mask_prob(mask_probs: Tensor, boxes: Tensor, img_h: int,
                           img_w: int) -> Tensor:
    """The pixel-wise maximum of mask probabilities pasted into an
    ``(img_h, img_w)`` image, 0 outside every box region: thresholded at
    ``t > 0`` it is :func:`paste_lesion_mask` at ``t``. Arguments as there;
    memory: one float32 image. Test-time augmentation averages it over
    views before thresholding."""
    canvas = torch.zeros((img_h, img_w), dtype=torch.float32, device=mask_probs.device)
    for (left, top, right, bottom), pasted in _pasted_regions(mask_probs, boxes, img_h, img_w):
        region = canvas[top:bottom, left:right]
        torch.maximum(region, pasted, out=region)
    return canvas
