from .runner_setup import ConfigError, apply_common_args, resolve_resume

__all__ = ['ConfigError', 'apply_common_args', 'resolve_resume']
