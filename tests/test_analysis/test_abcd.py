"""The ABCD features on shapes whose answers are known."""
import math

import cv2
import numpy as np
import pytest

from mmskin.analysis.abcd import ABCD_COLUMNS, DERMOSCOPY_COLOURS, abcd_features

SHAPE = (240, 320)
SKIN_BGR = (150, 170, 200)


def _image(bgr=SKIN_BGR):
    return np.full((*SHAPE, 3), bgr, np.uint8)


def _disc(radius, centre=(160, 120)):
    mask = np.zeros(SHAPE, np.uint8)
    cv2.circle(mask, centre, radius, 1, -1)
    return mask.astype(bool)


def _polygon(points):
    mask = np.zeros(SHAPE, np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def _star(spikes=12, outer=100, inner=45):
    angles = np.arange(2 * spikes) * math.pi / spikes
    radii = np.where(np.arange(2 * spikes) % 2 == 0, outer, inner)
    return _polygon(np.stack([160 + radii * np.cos(angles), 120 + radii * np.sin(angles)], 1))


def _bgr(name):
    return DERMOSCOPY_COLOURS[name][::-1]


def test_disc():
    features = abcd_features(_image(), _disc(60))
    assert tuple(features) == ABCD_COLUMNS
    assert features['asymmetry_major'] < 0.01 and features['asymmetry_minor'] < 0.01
    assert features['compactness'] == pytest.approx(1.0, abs=0.02)
    assert features['solidity'] == pytest.approx(1.0, abs=0.02)
    assert features['fractal_dimension'] == pytest.approx(1.0, abs=0.05)
    assert features['diameter_px'] == 120.0
    assert math.isnan(features['diameter_mm'])
    assert abcd_features(_image(), _disc(60), pixel_size_mm=0.05)['diameter_mm'] == 6.0


def test_ellipse_is_symmetric_but_elongated():
    mask = np.zeros(SHAPE, np.uint8)
    cv2.ellipse(mask, (160, 120), (100, 40), 30, 0, 360, 1, -1)
    features = abcd_features(_image(), mask)
    # symmetric about both of its axes, whatever their direction
    assert features['asymmetry_major'] < 0.03 and features['asymmetry_minor'] < 0.03
    # an ellipse of axes a, b: 4 pi ab / (Ramanujan perimeter)^2
    a, b = 100, 40
    perimeter = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))
    assert features['compactness'] == pytest.approx(4 * math.pi**2 * a * b / perimeter**2,
                                                    abs=0.02)
    assert features['solidity'] == pytest.approx(1.0, abs=0.02)
    assert features['diameter_px'] == pytest.approx(200, abs=1.5)


def test_irregular_shapes_score_higher():
    disc = abcd_features(_image(), _disc(60))
    star = abcd_features(_image(), _star())
    assert star['compactness'] < 0.5 * disc['compactness']
    assert star['solidity'] < 0.8
    # a border with notches on every scale fills more of the plane
    rng = np.random.default_rng(0)
    angles = np.linspace(0, 2 * math.pi, 400, endpoint=False)
    radii = 70 + rng.uniform(-15, 15, angles.size)
    ragged = abcd_features(_image(), _polygon(
        np.stack([160 + radii * np.cos(angles), 120 + radii * np.sin(angles)], 1)))
    assert ragged['fractal_dimension'] > disc['fractal_dimension'] + 0.1
    # an L is not symmetric about its principal axes
    ell = np.zeros(SHAPE, bool)
    ell[40:200, 60:120] = True
    ell[150:200, 120:260] = True
    features = abcd_features(_image(), ell)
    assert min(features['asymmetry_major'], features['asymmetry_minor']) > 0.2


def test_colours_are_counted():
    mask = _disc(60)
    image = _image()
    image[mask] = _bgr('dark brown')
    one = abcd_features(image, mask)
    assert one['n_colours'] == 1 and one['colour_spread'] == pytest.approx(0.0, abs=1e-6)
    left = np.zeros(SHAPE, bool)
    left[:, :160] = True
    image[mask & left] = _bgr('blue-grey')
    two = abcd_features(image, mask)
    assert two['n_colours'] == 2 and two['colour_spread'] > 10
    # a speck below the share that counts is noise
    image[115:118, 160:163] = _bgr('white')
    assert abcd_features(image, mask)['n_colours'] == 2
    # a lesion of more pixels than are measured: every k-th, the shares kept
    big = np.zeros((700, 600, 3), np.uint8)
    big[:, :200] = _bgr('black')
    big[:, 200:] = _bgr('red')
    features = abcd_features(big, np.ones(big.shape[:2], bool))
    assert features['n_colours'] == 2 and features['colour_spread'] > 10


def test_empty_mask_and_bad_input():
    features = abcd_features(_image(), np.zeros(SHAPE, bool))
    assert tuple(features) == ABCD_COLUMNS
    assert all(math.isnan(v) for v in features.values())
    single = np.zeros(SHAPE, bool)
    single[5, 7] = True
    features = abcd_features(_image(), single)
    assert features['diameter_px'] == 0 and features['compactness'] <= 1
    with pytest.raises(ValueError, match='mask has shape'):
        abcd_features(_image(), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match='BGR uint8'):
        abcd_features(np.zeros(SHAPE, np.uint8), np.zeros(SHAPE, bool))
