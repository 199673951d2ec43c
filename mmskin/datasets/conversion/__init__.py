"""Convert ISIC releases and their relatives to COCO instance annotations.

:mod:`.coco` checks the files and writes the annotation file; :mod:`.layouts`
knows where each release keeps its images, masks and labels; :mod:`.long_side`
writes a resized copy of a converted split for training.
"""
from .coco import ConversionSummary, Sample, SampleCollection, convert_to_coco, pair_samples
from .long_side import IMAGE_FORMATS, ResizeSummary, resize_split
from .layouts import (OFFICIAL_LAYOUTS, OfficialLayout, find_archive_samples,
                      find_official_samples)

__all__ = [
    'ConversionSummary', 'Sample', 'SampleCollection', 'convert_to_coco',
    'pair_samples', 'OFFICIAL_LAYOUTS', 'OfficialLayout', 'find_archive_samples',
    'find_official_samples', 'IMAGE_FORMATS', 'ResizeSummary', 'resize_split'
]
