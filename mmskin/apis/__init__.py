from .runner_setup import ConfigError, apply_common_args, resolve_resume, set_isic_out_dir

__all__ = ["ConfigError", "apply_common_args", "resolve_resume", "set_isic_out_dir"]
