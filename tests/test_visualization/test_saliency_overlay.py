"""A saliency map blended on its photo."""
import cv2
import numpy as np
import pytest

from mmskin.visualization import draw_saliency


def test_draw_saliency_blends_the_jet_colours():
    image = np.full((20, 30, 3), 200, np.uint8)
    cam = np.zeros((20, 30), np.float32)
    cam[:, 15:] = 1.0
    drawn = draw_saliency(image, cam)
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert (image == 200).all(), 'the photo must not be modified'
    cold, hot = cv2.applyColorMap(np.array([[0, 255]], np.uint8), cv2.COLORMAP_JET)[0]
    np.testing.assert_allclose(drawn[0, 0], (cold + 200.0) / 2, atol=1)
    np.testing.assert_allclose(drawn[0, 29], (hot + 200.0) / 2, atol=1)
    assert (draw_saliency(image, cam, alpha=0.0) == image).all()


@pytest.mark.parametrize('cam, problem', [
    (np.zeros((20, 31)), 'has shape'),
    (np.full((20, 30), 1.5), r'\[0, 1\]'),
    (np.full((20, 30), np.nan), r'\[0, 1\]'),
])
def test_draw_saliency_rejects_bad_maps(cam, problem):
    with pytest.raises(ValueError, match=problem):
        draw_saliency(np.zeros((20, 30, 3), np.uint8), cam)
