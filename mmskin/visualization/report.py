"""A test run as one self-contained HTML page a person reads.

The page (``templates/report.html``, rendered with jinja2) holds the metric
tables with their 95% intervals, the ROC and precision-recall curves, the
per-image JA histogram, the reliability diagram of ``p_malignant`` with its
expected calibration error and Brier score, the confusion matrix at the
threshold, and galleries of paper Fig. 4 overlays: the worst segmentations
first, then the false negatives and the false positives of classification
(malignant is the positive class). Given a saliency function (the model's
:func:`mmskin.apis.lesion_cam`), every gallery photo also shows its map and
a gallery of the most confident malignant calls is added. Every figure and
photo is embedded as a base64 data URI and the page has no script, so it
opens offline and can be mailed as one file.

Inputs are a run folder as ``tools/test.py --isic-out`` writes it
(``per_image.csv`` and ``masks/``), the photos, and optionally the
ground-truth masks (their contours are drawn in black). With the
``operating_point.json`` of ``tools/test.py --operating-point`` in the
folder, the page adds SE / SP at its threshold and the reliability diagram,
ECE and Brier score after its calibration.
"""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mmskin.analysis.operating_point import OPERATING_POINT_NAME, read_operating_point
from mmskin.analysis.run_summary import RunSummary, summarize_run
from mmskin.evaluation import read_per_image
from mmskin.evaluation.calibration import apply_calibration, operating_point_summary
from mmskin.evaluation.intervals import format_interval
from mmskin.evaluation.statistics import N_RESAMPLES, brier_score, expected_calibration_error
from mmskin.utils import ISIC_CLASSES, ISICFileError, write_text_atomic
from .isic_plots import (figure_png, ja_histogram_figure, pr_figure, reliability_figure,
                         roc_figure)
from .report_gallery import (GALLERY_SIZE, GtMaskLoader, Saliency, data_uri, find_images,
                             folder_gt_masks, gallery_case, misclassified)

__all__ = ['GALLERY_SIZE', 'GtMaskLoader', 'Saliency', 'find_images', 'folder_gt_masks',
           'misclassified', 'render_report', 'write_report']


def _metric_rows(scores: Dict[str, float], intervals: Dict[str, tuple]) -> List[dict]:
    return [dict(name=name, value=f'{value:.4f}', interval=format_interval(intervals.get(name)))
            for name, value in scores.items()]


def _figures(per_image: Mapping[str, np.ndarray], summary: RunSummary,
             point: Optional[dict]) -> List[dict]:
    figures = []
    if not summary.classification_skipped:
        labelled = per_image['gt_label'] >= 0
        labels, p = per_image['gt_label'][labelled], per_image['p_malignant'][labelled]
        cls_intervals = summary.intervals['classification']
        figures += [
            dict(id='roc', title='ROC curve',
                 png=figure_png(roc_figure(labels, p, summary.positive, summary.threshold,
                                           cls_intervals.get('AUC')))),
            dict(id='pr', title='Precision-recall curve',
                 png=figure_png(pr_figure(labels, p, summary.positive, summary.threshold,
                                          cls_intervals.get('AP')))),
            dict(id='calibration', title='Reliability diagram of p(malignant)',
                 png=figure_png(reliability_figure(labels, p))),
        ]
        if point is not None and point.get('calibration'):
            figures.append(dict(
                id='calibration-after',
                title=f'Reliability diagram of p(malignant) after {point["calibration"]["method"]}'
                ' scaling (fitted on the calibration part)',
                png=figure_png(reliability_figure(
                    labels, apply_calibration(p, point['calibration'])))))
    figures.append(dict(id='ja-histogram', title='Per-image Jaccard index',
                        png=figure_png(ja_histogram_figure(per_image['JA']))))
    for figure in figures:
        figure['src'] = data_uri(figure.pop('png'), 'image/png')
    return figures


def _at_operating_point(labels: np.ndarray, p: np.ndarray, point: dict) -> Dict[str, str]:
    """The run's SE / SP at the point's threshold and its calibrated ECE and Brier score."""
    scores = operating_point_summary(labels, p, point['threshold'], point.get('calibration'))
    out = dict(point=f'p(malignant) > {point["threshold"]:.4f} (rule {point["rule"]})',
               point_se=f'{scores["SE"]:.4f}', point_sp=f'{scores["SP"]:.4f}')
    if point.get('calibration'):
        calibrated = apply_calibration(p, point['calibration'])
        out.update(method=point['calibration']['method'],
                   ece_calibrated=f'{scores["ECE_calibrated"]:.4f}',
                   brier_calibrated=f'{brier_score(labels == 1, calibrated):.4f}')
    return out


def render_report(run_dir: str,
                  image_paths: Mapping[str, Path],
                  gt_mask: Optional[GtMaskLoader] = None,
                  gallery_size: int = GALLERY_SIZE,
                  positive: str = 'malignant',
                  n_resamples: int = N_RESAMPLES,
                  seed: int = 0,
                  saliency: Optional[Saliency] = None) -> str:
    """The HTML page of the run in ``run_dir``.

    Args:
        run_dir: the ``--isic-out`` folder of ``tools/test.py``.
        image_paths: ``image_id -> photo`` (:func:`find_images`).
        gt_mask: ``image_id -> bool mask or None`` (:func:`folder_gt_masks`).
        gallery_size: photos in each gallery.
        positive: positive class of the classification scores.
        n_resamples, seed: of the bootstrap intervals (0: none).
        saliency: the saliency map of a photo, e.g. the model's
            :func:`mmskin.apis.lesion_cam`: drawn beside each gallery photo,
            and the galleries end with the most confident malignant calls.
    """
    run_dir = Path(run_dir)
    per_image = read_per_image(str(run_dir / 'per_image.csv'))
    if not (run_dir / 'masks').is_dir():
        raise ISICFileError(run_dir / 'masks', 'folder of predicted masks does not exist')
    summary = summarize_run(per_image, positive=positive, n_resamples=n_resamples, seed=seed)
    # Written by tools/test.py --operating-point beside the run's files.
    point_file = run_dir / OPERATING_POINT_NAME
    point = read_operating_point(point_file) if point_file.is_file() else None

    cams: Dict[str, Optional[str]] = {}

    def cases(rows):
        return [gallery_case(row, per_image, run_dir, image_paths, gt_mask, cams, saliency)
                for row in rows[:gallery_size]]

    ja = per_image['JA']
    worst = np.argsort(np.where(np.isnan(ja), np.inf, ja), kind='stable').tolist()
    galleries = [dict(id='worst-segmentations', title='Worst segmentations (lowest JA first)',
                      total=len(worst), cases=cases(worst))]
    calibration = None
    if not summary.classification_skipped:
        errors = misclassified(per_image, summary.threshold)
        galleries += [
            dict(id='false-negatives', title='False negatives: malignant lesions called benign',
                 total=len(errors['false_negatives']), cases=cases(errors['false_negatives'])),
            dict(id='false-positives', title='False positives: benign lesions called malignant',
                 total=len(errors['false_positives']), cases=cases(errors['false_positives'])),
        ]
        labelled = per_image['gt_label'] >= 0
        is_malignant = per_image['gt_label'][labelled] == 1
        p = per_image['p_malignant'][labelled]
        calibration = dict(ece=f'{expected_calibration_error(is_malignant, p):.4f}',
                           brier=f'{brier_score(is_malignant, p):.4f}')
        if point is not None:
            calibration.update(_at_operating_point(per_image['gt_label'][labelled], p, point))
    if saliency is not None:
        p_all = per_image['p_malignant']
        called = np.flatnonzero(p_all > summary.threshold)  # NaN is never called
        confident = called[np.argsort(-p_all[called], kind='stable')].tolist()
        galleries.append(dict(id='most-confident', total=len(confident), cases=cases(confident),
                              title='Most confident malignant calls (highest p(malignant) first)'))
    environment = Environment(
        loader=FileSystemLoader(osp.join(osp.dirname(__file__), 'templates')),
        autoescape=select_autoescape(['html']))
    return environment.get_template('report.html').render(
        run_dir=str(run_dir), summary=summary, n_resamples=n_resamples,
        segmentation=_metric_rows(summary.segmentation, summary.intervals['segmentation']),
        classification=_metric_rows(summary.classification,
                                    summary.intervals['classification']),
        confusion=None if summary.confusion is None else dict(
            zip(('TP', 'FP', 'FN', 'TN'), summary.confusion.tolist())),
        calibration=calibration, figures=_figures(per_image, summary, point),
        galleries=galleries, label_names=ISIC_CLASSES, saliency=saliency is not None,
        missing_photos=len(set(per_image['image_id'].tolist()) - set(image_paths)))


def write_report(out_path: str, run_dir: str, image_paths: Mapping[str, Path],
                 **kwargs) -> str:
    """Render the page (:func:`render_report`) and write it to ``out_path``."""
    write_text_atomic(out_path, render_report(run_dir, image_paths, **kwargs))
    return out_path
