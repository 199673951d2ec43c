"""What the tools call: building and running a model on images, the shared
command-line flags, config set-up and how a failed run is reported."""
from .arg_types import (nonnegative_float, nonnegative_int, positive_float, positive_int,
                        probability)
from .cli import (add_cfg_options_arg, add_common_args, add_interval_args, add_threads_arg,
                  interval_resamples, parse_tool_args)
from .config_setup import (INSTANCE_MASK_METRICS, add_operating_point_metric, apply_common_args,
                           check_train_schedule, enable_instance_masks, load_config,
                           resolve_resume, set_isic_intervals, set_isic_out_dir)
from .errors import REPORTED_ERRORS, ConfigError, one_line_errors, report_line
from .inference import InferenceSummary, run_inference
from .model import build_test_pipeline, init_lesion_model
from .predict import LesionPrediction, predict_lesion
from .result_writer import LesionResultWriter
from .saliency import lesion_cam, lesion_cam_of
from .signals import sigterm_as_interrupt
from .staged_output import StagedOutputFolder, staging_dir
from .test_time_aug import apply_tta, tta_pipeline_from_test, tta_pipeline_of
from .threads import SINGLE_THREAD_MAX_CPUS, apply_cpu_threads

__all__ = [
    'nonnegative_float', 'nonnegative_int', 'positive_float', 'positive_int', 'probability',
    'add_cfg_options_arg', 'add_common_args', 'add_interval_args', 'add_threads_arg',
    'interval_resamples', 'parse_tool_args', 'INSTANCE_MASK_METRICS', 'add_operating_point_metric',
    'apply_common_args', 'check_train_schedule', 'enable_instance_masks', 'load_config',
    'resolve_resume', 'set_isic_intervals', 'set_isic_out_dir', 'REPORTED_ERRORS', 'ConfigError',
    'one_line_errors', 'report_line', 'InferenceSummary', 'run_inference', 'build_test_pipeline',
    'init_lesion_model', 'LesionPrediction', 'predict_lesion', 'LesionResultWriter', 'lesion_cam',
    'lesion_cam_of', 'sigterm_as_interrupt', 'StagedOutputFolder', 'staging_dir',
    'SINGLE_THREAD_MAX_CPUS', 'apply_cpu_threads', 'apply_tta', 'tta_pipeline_from_test',
    'tta_pipeline_of'
]
