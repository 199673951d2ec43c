"""What every layer of mmskin shares: the lesion classes, the ISIC file rules,
atomic writing, where outputs may go, trusted checkpoint loading, and the
CPU's features."""
from .atomic_write import (check_writable_dir, dump_json_atomic, write_bytes_atomic,
                           write_csv_atomic, write_image_atomic, write_mask_atomic,
                           write_text_atomic)
from .coco_mask import decode_segmentation, encode_mask, mask_to_annotation
from .checkpoint import (CheckpointIntegrityError, UntrustedCheckpointError, add_content_hash,
                         checkpoint_loaders, is_trusted, load_checkpoint_file, trust_checkpoint)
from .checkpoint_fit import CheckpointMismatchError, check_weights_fit, load_weights
from .cpu_features import BF16_FLAGS, cpu_bf16_flags, cpu_flags, cpu_has_bf16
from .isic_files import (IMAGE_SUFFIXES, MASK_SUFFIXES, STORED_ORIENTATION, ISICFileError,
                         check_image_id, find_mask, index_masks, list_images, mask_file_name,
                         read_image, read_image_size)
from .label_csv import LabelTable, read_id_list, read_label_csv
from .lesion import ISIC_CLASSES, UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL, tight_box
from .lesion_coco import LesionCoco, check_lesion_coco, load_coco_file, read_lesion_coco
from .mask_files import MASK_THRESHOLD, read_mask, read_prediction_mask
from .output_paths import (OUTPUT_MARKER, check_output_file, check_output_folder,
                           mark_output_folder)
from .text_files import read_csv_rows, read_csv_table, read_text, read_text_lines

__all__ = [
    'ISIC_CLASSES', 'UNKNOWN_CATEGORY_ID', 'UNKNOWN_LABEL', 'tight_box', 'IMAGE_SUFFIXES',
    'MASK_SUFFIXES', 'MASK_THRESHOLD', 'STORED_ORIENTATION', 'ISICFileError', 'check_image_id',
    'find_mask', 'index_masks', 'list_images', 'mask_file_name', 'read_image', 'read_image_size',
    'read_mask', 'read_prediction_mask', 'LabelTable', 'read_csv_rows', 'read_csv_table',
    'read_text', 'read_text_lines', 'read_id_list', 'read_label_csv', 'LesionCoco',
    'check_lesion_coco', 'load_coco_file', 'read_lesion_coco', 'check_writable_dir',
    'dump_json_atomic', 'write_bytes_atomic', 'write_csv_atomic', 'write_image_atomic',
    'write_mask_atomic', 'write_text_atomic', 'CheckpointIntegrityError',
    'UntrustedCheckpointError', 'add_content_hash', 'is_trusted', 'load_checkpoint_file',
    'trust_checkpoint', 'decode_segmentation', 'encode_mask', 'mask_to_annotation',
    'checkpoint_loaders',
    'CheckpointMismatchError', 'check_weights_fit', 'load_weights', 'OUTPUT_MARKER',
    'check_output_file', 'check_output_folder', 'mark_output_folder', 'BF16_FLAGS',
    'cpu_bf16_flags', 'cpu_flags', 'cpu_has_bf16'
]
