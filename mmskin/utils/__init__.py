"""What every layer of mmskin shares: the lesion classes, the ISIC file rules,
atomic writing, trusted checkpoint loading, and the CPU's features."""
from .atomic_write import (check_writable_dir, dump_json_atomic, write_bytes_atomic,
                           write_csv_atomic, write_image_atomic, write_mask_atomic,
                           write_text_atomic)
from .coco_mask import decode_segmentation, encode_mask
from .checkpoint import (CheckpointIntegrityError, UntrustedCheckpointError, add_content_hash,
                         is_trusted, load_checkpoint_file, trust_checkpoint)
from .cpu_features import BF16_FLAGS, cpu_bf16_flags, cpu_flags, cpu_has_bf16
from .isic_files import (IMAGE_SUFFIXES, MASK_SUFFIXES, MASK_THRESHOLD, ISICFileError,
                         check_image_id, find_mask, index_masks, list_images, mask_file_name,
                         read_image, read_image_size, read_mask, read_prediction_mask)
from .label_csv import LabelTable, read_csv_rows, read_id_list, read_label_csv
from .lesion import ISIC_CLASSES, UNKNOWN_CATEGORY_ID, UNKNOWN_LABEL, tight_box

__all__ = [
    'ISIC_CLASSES', 'UNKNOWN_CATEGORY_ID', 'UNKNOWN_LABEL', 'tight_box', 'IMAGE_SUFFIXES',
    'MASK_SUFFIXES', 'MASK_THRESHOLD', 'ISICFileError', 'check_image_id', 'find_mask',
    'index_masks', 'list_images', 'mask_file_name', 'read_image', 'read_image_size', 'read_mask',
    'read_prediction_mask', 'LabelTable', 'read_csv_rows', 'read_id_list', 'read_label_csv',
    'check_writable_dir', 'dump_json_atomic', 'write_bytes_atomic', 'write_csv_atomic',
    'write_image_atomic', 'write_mask_atomic', 'write_text_atomic', 'CheckpointIntegrityError',
    'UntrustedCheckpointError', 'add_content_hash', 'is_trusted', 'load_checkpoint_file',
    'trust_checkpoint', 'decode_segmentation', 'encode_mask', 'BF16_FLAGS', 'cpu_bf16_flags',
    'cpu_flags', 'cpu_has_bf16'
]
