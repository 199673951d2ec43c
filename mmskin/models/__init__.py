from . import detectors, lesion_heads, losses, roi_heads, test_time_augs  # noqa: F401  registers
