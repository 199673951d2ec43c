"""The paper's box label (III-A)."""
import numpy as np

from mmskin.utils import tight_box


def test_tight_box_is_in_pixel_edges():
    mask = np.zeros((10, 12), np.uint8)
    mask[2:5, 3:8] = 255  # rows 2..4, columns 3..7
    np.testing.assert_array_equal(tight_box(mask), [3, 2, 8, 5])
    mask[9, 0] = 1  # any non-zero value is foreground
    np.testing.assert_array_equal(tight_box(mask), [0, 2, 8, 10])
    box = tight_box(np.zeros((4, 4), bool))
    assert box.dtype == np.float32 and not box.any()
