"""The HTML report of a ``tools/test.py --isic-out DIR --report`` run.

The photos and the ground-truth masks come from the test dataset the run
was scored on (its ``img_path`` and COCO annotations), so the report needs
no folder argument; it is written to ``DIR/report.html`` with
:func:`mmskin.visualization.report.write_report`.
"""
import os.path as osp
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
from mmengine.config import Config

from mmskin.utils import decode_segmentation
from mmskin.visualization.report import GtMaskLoader, Saliency, write_report

#: File name of the report in the ``--isic-out`` folder.
REPORT_NAME = 'report.html'


def dataset_sources(dataset) -> Tuple[Dict[str, Path], GtMaskLoader]:
    """``image_id -> photo`` and a ground-truth mask loader of a test dataset.

    The image id is the photo's file name without extension, as the ISIC
    metrics name the images; the mask is the union of the image's instance
    masks (ISIC has one), decoded only when a gallery shows the image.
    """
    photos: Dict[str, Path] = {}
    infos: Dict[str, dict] = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        image_id = Path(info['img_path']).stem
        photos[image_id] = Path(info['img_path'])
        infos[image_id] = info

    def gt_mask(image_id: str) -> Optional[np.ndarray]:
        info = infos.get(image_id)
        masks = [i['mask'] for i in (info or {}).get('instances', []) if i.get('mask')]
        if not masks:
            return None
        height, width = info['height'], info['width']
        return np.any([decode_segmentation(m, height, width) for m in masks], axis=0)

    return photos, gt_mask


def _positive_class(cfg: Config) -> str:
    """The positive class of the config's ``ISICClsMetric`` (malignant if none)."""
    evaluator = cfg.test_evaluator
    for metric in evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]:
        if metric.get('type') == 'ISICClsMetric':
            return metric.get('positive', 'malignant')
    return 'malignant'


def write_test_report(cfg: Config, dataset, isic_out: str, n_resamples: int,
                      seed: int = 0, saliency: Optional[Saliency] = None) -> str:
    """Write ``isic_out/report.html`` for the run the ISIC metrics just wrote
    into ``isic_out``, with the saliency maps of ``saliency`` if given
    (:func:`~mmskin.visualization.report.render_report`); returns its path."""
    photos, gt_mask = dataset_sources(dataset)
    return write_report(osp.join(isic_out, REPORT_NAME), isic_out, photos, gt_mask=gt_mask,
                        positive=_positive_class(cfg), n_resamples=n_resamples, seed=seed,
                        saliency=saliency)
