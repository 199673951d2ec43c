from . import detectors, lesion_heads, losses, roi_heads  # noqa: F401  registers
