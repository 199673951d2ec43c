from . import detectors, losses, roi_heads  # noqa: F401  registers
