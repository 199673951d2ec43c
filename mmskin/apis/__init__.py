from .inference import InferenceSummary, run_inference
from .model import build_test_pipeline, init_lesion_model
from .predict import LesionPrediction, predict_lesion
from .result_writer import LesionResultWriter
from .runner_setup import (ConfigError, apply_common_args, apply_cpu_threads,
                           enable_instance_masks, load_config, one_line_errors, report_line,
                           resolve_resume, set_isic_intervals, set_isic_out_dir)
from .staged_output import StagedOutputFolder, staging_dir

__all__ = [
    'ConfigError', 'apply_common_args', 'apply_cpu_threads', 'enable_instance_masks',
    'load_config', 'one_line_errors', 'report_line', 'resolve_resume', 'set_isic_intervals',
    'set_isic_out_dir', 'StagedOutputFolder', 'staging_dir', 'InferenceSummary',
    'LesionPrediction', 'LesionResultWriter', 'build_test_pipeline', 'init_lesion_model',
    'predict_lesion', 'run_inference'
]
