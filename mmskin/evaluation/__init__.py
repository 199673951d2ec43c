from . import metrics  # noqa: F401  registers
