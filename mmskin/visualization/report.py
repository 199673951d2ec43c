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
import base64
import os.path as osp
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional

import cv2
import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mmskin.evaluation import read_per_image
from mmskin.evaluation.functional import positive_class_scores
from mmskin.evaluation.intervals import format_interval
from mmskin.analysis.run_summary import RunSummary, summarize_run
from mmskin.analysis.operating_point import OPERATING_POINT_NAME, read_operating_point
from mmskin.evaluation.calibration import apply_calibration, operating_point_summary
from mmskin.evaluation.statistics import N_RESAMPLES, brier_score, expected_calibration_error
from mmskin.utils import (ISIC_CLASSES, ISICFileError, index_masks, list_images, mask_file_name,
                          read_mask, read_prediction_mask, write_text_atomic)
from .isic_plots import (figure_png, ja_histogram_figure, pr_figure, reliability_figure,
                         roc_figure)
from .lesion_overlay import draw_lesion_overlay
from .saliency_overlay import draw_saliency

#: Photos shown in each gallery by default.
GALLERY_SIZE = 24
#: Long side of a gallery photo, in pixels.
THUMBNAIL_SIDE = 320

GtMaskLoader = Callable[[str], Optional[np.ndarray]]
#: A photo (BGR uint8) -> its saliency map (float (H, W) in [0, 1]).
Saliency = Callable[[np.ndarray], np.ndarray]


def _data_uri(data: bytes, mime: str) -> str:
    return f'data:{mime};base64,{base64.b64encode(data).decode("ascii")}'


def find_images(img_dir: str, image_ids: Iterable[str]) -> Dict[str, Path]:
    """``image_id -> photo`` for the ids that have a photo ``IMG_DIR/<id>.<suffix>``
    (:data:`mmskin.utils.IMAGE_SUFFIXES`); ISICFileError when the folder is
    missing or holds none of them."""
    folder = Path(img_dir)
    if not folder.is_dir():
        raise ISICFileError(folder, 'image folder does not exist')
    wanted = set(image_ids)
    try:
        found = {path.stem: path for path in list_images(folder) if path.stem in wanted}
    except ISICFileError:  # no image at all
        found = {}
    if not found:
        raise ISICFileError(folder, 'no photo named <image_id>.<jpg, png, ...> of the run')
    return found


def folder_gt_masks(gt_dir: str) -> GtMaskLoader:
    """Ground-truth masks from an ISIC folder (``_segmentation.png`` or
    ``_Segmentation.png``); None for an image without one."""
    masks = index_masks(Path(gt_dir), 'ground-truth')
    return lambda image_id: (read_mask(masks[image_id])
                             if image_id in masks else None)


@dataclass
class GalleryCase:
    """One photo of a gallery and the per-image numbers its caption shows."""

    image_id: str
    gt_label: int
    pred_label: int
    p_malignant: float
    ja: float
    detected: bool
    image: Optional[str]
    note: str = ''
    cam: Optional[str] = None


def _thumbnail_size(image: np.ndarray) -> tuple:
    """``(scale, (width, height))`` of an image drawn at gallery size."""
    height, width = image.shape[:2]
    scale = THUMBNAIL_SIDE / max(height, width)
    return scale, (max(1, round(width * scale)), max(1, round(height * scale)))


def _resize(image: np.ndarray, scale: float, size: tuple) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _jpeg_uri(image: np.ndarray) -> str:
    _, encoded = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return _data_uri(encoded.tobytes(), 'image/jpeg')


def _saliency_thumbnail(image: np.ndarray, cam: np.ndarray) -> str:
    """The saliency map drawn at gallery size, as a JPEG data URI."""
    scale, size = _thumbnail_size(image)
    return _jpeg_uri(draw_saliency(_resize(image, scale, size),
                                   np.clip(_resize(cam, scale, size), 0.0, 1.0)))


def _overlay_thumbnail(image: np.ndarray, pred_mask: np.ndarray, case: 'GalleryCase',
                       box: Optional[List[float]], gt_mask: Optional[np.ndarray]) -> str:
    """The Fig. 4 overlay drawn at gallery size (so lines and caption have the
    same size on every photo), as a JPEG data URI."""
    scale, size = _thumbnail_size(image)
    image = _resize(image, scale, size)

    def resize_mask(mask):
        return cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0

    overlay = draw_lesion_overlay(
        image, resize_mask(pred_mask), case.p_malignant, case.pred_label,
        None if box is None else [v * scale for v in box],
        None if gt_mask is None else resize_mask(gt_mask))
    return _jpeg_uri(overlay)


def _gallery_case(row: int, per_image: Mapping[str, np.ndarray], run_dir: Path,
                  image_paths: Mapping[str, Path], gt_mask: Optional[GtMaskLoader],
                  cams: Dict[str, Optional[str]],
                  saliency: Optional[Saliency]) -> GalleryCase:
    """One photo of a gallery; its saliency drawing is kept in ``cams`` by
    image id, since a photo can be in several galleries."""
    image_id = str(per_image['image_id'][row])
    case = GalleryCase(image_id, int(per_image['gt_label'][row]),
                       int(per_image['pred_label'][row]), float(per_image['p_malignant'][row]),
                       float(per_image['JA'][row]), bool(per_image['detected'][row]), None)
    if image_id not in image_paths:
        case.note = 'photo not found'
        return case
    # The stored pixel grid, as the test pipeline reads it: masks carry no orientation.
    image = cv2.imread(str(image_paths[image_id]), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if image is None:
        case.note = f'{image_paths[image_id].name} cannot be decoded'
        return case
    mask_path = run_dir / 'masks' / mask_file_name(image_id)
    if not mask_path.is_file():
        case.note = f'no predicted mask {mask_path.name}'
        return case
    pred_mask, _ = read_prediction_mask(mask_path, image.shape[:2])
    box = [float(per_image[k][row]) for k in ('x0', 'y0', 'x1', 'y1')] if case.detected else None
    truth = gt_mask(image_id) if gt_mask else None
    if truth is not None and truth.shape != pred_mask.shape:
        case.note, truth = 'ground-truth mask of another size: not drawn', None
    case.image = _overlay_thumbnail(image, pred_mask, case, box, truth)
    if saliency is not None:
        if image_id not in cams:
            # A map that cannot be made is noted on its photo: the report
            # is part of a run's output, which must not be lost for it.
            try:
                cams[image_id] = _saliency_thumbnail(image, saliency(image))
            except ValueError as error:
                cams[image_id] = None
                case.note = f'no saliency map: {error}'
        case.cam = cams[image_id]
    return case


def misclassified(per_image: Mapping[str, np.ndarray], threshold: float = 0.5) -> Dict[str, list]:
    """Rows of the false negatives (malignant called benign, lowest
    ``p_malignant`` first) and false positives (benign called malignant,
    highest first) of ``p_malignant > threshold``."""
    labelled = np.flatnonzero(per_image['gt_label'] >= 0)
    is_malignant, p = positive_class_scores(per_image['gt_label'][labelled],
                                            per_image['p_malignant'][labelled])
    called = p > threshold
    false_negatives = labelled[is_malignant & ~called]
    false_positives = labelled[~is_malignant & called]
    p_all = per_image['p_malignant']
    return dict(false_negatives=false_negatives[np.argsort(p_all[false_negatives],
                                                           kind='stable')].tolist(),
                false_positives=false_positives[np.argsort(-p_all[false_positives],
                                                           kind='stable')].tolist())


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
        figure['src'] = _data_uri(figure.pop('png'), 'image/png')
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
        return [_gallery_case(row, per_image, run_dir, image_paths, gt_mask, cams, saliency)
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
