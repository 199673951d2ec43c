"""What every layer of mmskin shares: the lesion classes, the ISIC file rules,
atomic writing, where outputs may go, and trusted checkpoint loading."""
from .atomic_write import (check_writable_dir, dump_json_atomic, write_bytes_atomic,
                           write_csv_atomic, write_image_atomic, write_mask_atomic,
                           write_text_atomic)
from .coco_mask import decode_segmentation, encode_mask
from .checkpoint import (CheckpointIntegrityError, UntrustedCheckpointError, add_content_hash,
                         checkpoint_loaders, is_trusted, load_checkpoint_file, trust_checkpoint)
from .checkpoint_fit import CheckpointMismatchError, check_weights_fit, load_weights
from .isic_files import (IMAGE_SUFFIXES, MASK_SUFFIXES, MASK_THRESHOLD, ISICFileError,
                         check_image_id, find_mask, index_masks, list_images, mask_file_name,
                         read_image, read_image_size, read_mask, read_prediction_mask)
from .label_csv import LabelTable, read_csv_rows, read_id_list, read_label_csv
from .lesion import ISIC_CLASSES, UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL, tight_box
from .output_paths import (OUTPUT_MARKER, check_output_file, check_output_folder,
                           mark_output_folder)

__all__ = [
    'ISIC_CLASSES', 'UNKNOWN_CATEGORY_ID', 'UNKNOWN_LABEL', 'tight_box', 'IMAGE_SUFFIXES',
    'MASK_SUFFIXES', 'MASK_THRESHOLD', 'ISICFileError', 'check_image_id', 'find_mask',
    'index_masks', 'list_images', 'mask_file_name', 'read_image', 'read_image_size', 'read_mask',
    'read_prediction_mask', 'LabelTable', 'read_csv_rows', 'read_id_list', 'read_label_csv',
    'check_writable_dir', 'dump_json_atomic', 'write_bytes_atomic', 'write_csv_atomic',
    'write_image_atomic', 'write_mask_atomic', 'write_text_atomic', 'CheckpointIntegrityError',
    'UntrustedCheckpointError', 'add_content_hash', 'is_trusted', 'load_checkpoint_file',
    'trust_checkpoint', 'decode_segmentation', 'encode_mask', 'checkpoint_loaders',
    'CheckpointMismatchError', 'check_weights_fit', 'load_weights', 'OUTPUT_MARKER',
    'check_output_file', 'check_output_folder', 'mark_output_folder'
]
