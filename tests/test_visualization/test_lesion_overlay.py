"""Fig. 4 style overlays."""
import numpy as np
import pytest

from mmskin.visualization import (BOX_BGR, GT_CONTOUR_BGR, PRED_CONTOUR_BGR,
                                  draw_lesion_overlay)


def test_draw_lesion_overlay_colours():
    img = np.full((100, 120, 3), 200, np.uint8)
    pred = np.zeros((100, 120), bool)
    pred[30:70, 40:90] = True
    gt = np.zeros((100, 120), bool)
    gt[20:60, 20:60] = True
    out = draw_lesion_overlay(img, pred, 0.9, 1, bbox=(35, 25, 95, 75), gt_mask=gt)
    assert (img == 200).all(), 'the input image must not be drawn on'
    assert tuple(out[50, 89]) == PRED_CONTOUR_BGR  # right edge of the prediction
    assert tuple(out[50, 65]) == (200, 200, 200)  # inside it, untouched
    assert tuple(out[45, 20]) == GT_CONTOUR_BGR  # left edge of the ground truth
    assert tuple(out[50, 35]) == tuple(out[74, 60]) == BOX_BGR  # box edges, pixel-edge x1, y1
    assert tuple(out[50, 95]) == (200, 200, 200)
    # Without ground truth there is no black at all.
    plain = draw_lesion_overlay(img, pred, 0.9, 1, bbox=(35, 25, 95, 75))
    assert not (plain == 0).all(axis=2).any()
    with pytest.raises(ValueError, match='gt_mask has shape'):
        draw_lesion_overlay(img, pred, 0.9, 1, gt_mask=gt[:50])
