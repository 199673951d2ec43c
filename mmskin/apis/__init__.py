from .inference import (ImageReadError, InferenceSummary, LesionPrediction, LesionResultWriter,
                        build_test_pipeline, find_gt_mask, init_lesion_model, list_images,
                        predict_lesion, read_gt_mask, read_image, run_inference)
from .runner_setup import (ConfigError, apply_common_args, load_config, resolve_resume,
                           set_isic_intervals, set_isic_out_dir)

__all__ = [
    'ConfigError', 'apply_common_args', 'load_config', 'resolve_resume', 'set_isic_intervals',
    'set_isic_out_dir',
    'ImageReadError', 'InferenceSummary', 'LesionPrediction', 'LesionResultWriter', 'build_test_pipeline',
    'find_gt_mask', 'init_lesion_model', 'list_images', 'predict_lesion', 'read_gt_mask',
    'read_image', 'run_inference'
]
