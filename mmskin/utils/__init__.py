from .checkpoint import (UntrustedCheckpointError, is_trusted, load_checkpoint_file,
                         trust_checkpoint)

__all__ = ['UntrustedCheckpointError', 'is_trusted', 'load_checkpoint_file', 'trust_checkpoint']
