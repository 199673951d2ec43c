import pytest
import torch
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask

from mmskin.models.roi_heads.lesion_mask import (paste_lesion_mask, paste_lesion_mask_prob,
                                                 paste_region)

IMG_H, IMG_W = 90, 120
THRESHOLD = 0.5


def _masks_and_boxes(n=6, size=7, seed=0):
    generator = torch.Generator().manual_seed(seed)
    probs = torch.rand((n, size, size), generator=generator)
    xy = torch.rand((n, 2), generator=generator) * torch.tensor([IMG_W, IMG_H]) - 10
    wh = torch.rand((n, 2), generator=generator) * 80 + 1
    boxes = torch.cat([xy, xy + wh], dim=1)
    boxes[0] = torch.tensor([3.3, 4.7, 3.3, 50.2])  # zero width
    boxes[1] = torch.tensor([-30., -20., 200., 150.])  # larger than the image
    return probs, boxes


def _mmdet_masks(probs, boxes, skip_empty):
    """mmdet's pasting, one detection at a time (its CPU way) or all on the
    whole image (its GPU way), each on a full canvas."""
    canvas = torch.zeros((len(probs), IMG_H, IMG_W), dtype=torch.bool)
    for i in range(len(probs)):
        pasted, region = _do_paste_mask(probs[i:i + 1, None], boxes[i:i + 1], IMG_H, IMG_W,
                                        skip_empty=skip_empty)
        canvas[(slice(i, i + 1), ) + region] = pasted >= THRESHOLD
    return canvas


@pytest.mark.parametrize('keep', [[2], [0, 1, 2, 3, 4, 5], [3, 5]])
def test_equals_the_union_of_mmdets_cpu_pasting(keep):
    probs, boxes = _masks_and_boxes()
    expected = _mmdet_masks(probs, boxes, skip_empty=True)[keep].any(dim=0)
    pasted = paste_lesion_mask(probs[keep], boxes[keep], IMG_H, IMG_W, THRESHOLD)
    assert pasted.dtype == torch.bool and pasted.shape == (IMG_H, IMG_W)
    assert torch.equal(pasted, expected)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_whole_support_region_holds_every_non_zero_pixel_of_whole_image_pasting(seed):
    probs, boxes = _masks_and_boxes(seed=seed)
    probs = probs * 0.5 + 0.5  # every mask cell above threshold: the support is widest
    # boxes[0] has zero width: mmdet's whole-image pasting then samples the
    # mask's centre column across the whole row (its inf -> 0 rule).
    for prob, box in zip(probs[1:], boxes[1:]):
        pasted, _ = _do_paste_mask(prob[None, None], box[None], IMG_H, IMG_W, skip_empty=False)
        left, top, right, bottom = paste_region(box, prob.size(-1), IMG_H, IMG_W,
                                                whole_support=True)
        outside = pasted[0].clone()
        outside[top:bottom, left:right] = 0
        assert not outside.any()


def test_threshold_must_be_positive():
    probs, boxes = _masks_and_boxes()
    with pytest.raises(ValueError, match='mask_thr_binary'):
        paste_lesion_mask(probs, boxes, IMG_H, IMG_W, 0.0)


@pytest.mark.parametrize('threshold', [0.3, THRESHOLD, 0.8])
def test_pasted_probabilities_threshold_to_the_pasted_mask(threshold):
    """Test-time augmentation averages these before thresholding: alone,
    they must give the detector's own mask."""
    probs, boxes = _masks_and_boxes()
    prob = paste_lesion_mask_prob(probs, boxes, IMG_H, IMG_W)
    assert prob.dtype == torch.float32 and prob.shape == (IMG_H, IMG_W)
    assert 0.0 <= float(prob.min()) and float(prob.max()) <= 1.0
    assert torch.equal(prob >= threshold,
                       paste_lesion_mask(probs, boxes, IMG_H, IMG_W, threshold))
