"""ISIC segmentation and classification metrics (paper III-C) for mmengine evaluators.

Both metrics read the combined lesion ``pred_lesion`` that
:class:`~mmskin.models.detectors.SkinLesionMaskRCNN` adds to each data
sample, and the ground truth from ``gt_instances`` (the test pipeline loads
annotations after ``Resize``, so ground-truth masks are at the original
resolution, like the predicted lesion mask). ``process`` keeps a few
numbers per image, never a mask, so memory does not grow with image size,
and mmengine gathers them across ranks, which makes the metrics DDP-safe.

With ``out_dir`` set, the metrics write the ISIC submission files:

* ``ISICSegMetric``: ``<out_dir>/masks/ISIC_<id>_segmentation.png``
  (0/255, original size; written in ``process``, so each rank writes its
  own images) and ``<out_dir>/per_image.csv`` (one row per image: id,
  ground-truth and predicted label, p_malignant, detection score, whether
  anything was detected, box and the five segmentation scores), which
  :func:`~mmskin.evaluation.read_per_image` reads;
* ``ISICClsMetric``: ``<out_dir>/part3_submission.csv``, the
  ``image_id,melanoma`` file the ISIC classification scorer takes.
"""
import logging
import math
import os.path as osp
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from mmskin.utils import UNKNOWN_LABEL, mask_file_name, write_csv_atomic, write_mask_atomic
from ..functional import (EMPTY_RULES, ISBI2016_SENSITIVITIES, SEG_METRICS, TJA_THRESHOLD,
                          classification_summary, confusion_counts, per_image_scores,
                          segmentation_summary)
from ..intervals import (classification_intervals, format_interval, segmentation_intervals,
                         with_interval_keys)
from ..lesion_record import PER_IMAGE_COLUMNS, LesionRecord, per_image_row, to_numpy


def _array(value: Any) -> np.ndarray:
    if hasattr(value, 'to_ndarray'):  # mmdet BitmapMasks / PolygonMasks
        return value.to_ndarray()
    return to_numpy(value)


def image_id_of(data_sample: dict) -> str:
    """The ISIC image id of a sample: its file name without extension."""
    if data_sample.get('img_path'):
        return Path(data_sample['img_path']).stem
    return str(data_sample['img_id'])


def _pred_lesion(data_sample: dict) -> dict:
    lesion = data_sample.get('pred_lesion')
    if lesion is None:
        raise ValueError(f"prediction for {image_id_of(data_sample)} has no 'pred_lesion': the "
                         "ISIC metrics need model.type='SkinLesionMaskRCNN'")
    return lesion.to_dict() if hasattr(lesion, 'to_dict') else lesion


def _gt_label(data_sample: dict) -> int:
    """0 benign / 1 malignant; ``UNKNOWN_LABEL`` when the image has no annotation."""
    labels = _array(data_sample.get('gt_instances', {}).get('labels', []))
    return int(labels.max()) if labels.size else UNKNOWN_LABEL


def _gt_mask(data_sample: dict) -> np.ndarray:
    """The union of the ground-truth masks (ISIC has one per image), bool (H, W).

    Decoded annotation masks are 0/1, made by the converter with the
    scorer's ``> 128`` rule (:func:`mmskin.utils.read_mask`).
    """
    gt_instances = data_sample.get('gt_instances', {})
    if 'masks' not in gt_instances:
        raise ValueError(f'ground truth of {image_id_of(data_sample)} has no masks: load them '
                         'with LoadAnnotations(with_mask=True) after Resize in the test pipeline')
    masks = _array(gt_instances['masks'])
    if masks.shape[0] == 0:
        return np.zeros(data_sample['ori_shape'][:2], dtype=bool)
    return masks.astype(bool).any(axis=0)


def _lesion_record(data_sample: dict, lesion: dict) -> Dict[str, Any]:
    """The per-image scalars both metrics keep."""
    return dict(record=LesionRecord.from_lesion(image_id_of(data_sample), lesion),
                gt_label=_gt_label(data_sample))


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f'{name} must be a number in [0, 1], got {value!r}')


#: Keys of the metrics' results that count images rather than score them.
COUNT_KEYS = ('n', 'n_unlabelled')


def _log_table(title: str, summary: Dict[str, float], results: List[dict],
               intervals: Optional[dict] = None) -> None:
    undetected = sum(not r['record'].detected for r in results)
    ci = ['95% CI'] if intervals else []
    rows = [['metric', 'value'] + ci]
    rows += [[name, f'{value:.4f}'] + [format_interval((intervals or {}).get(name))] * len(ci)
             for name, value in summary.items() if name not in COUNT_KEYS]
    counts = [('images', len(results)), ('no detection', undetected)]
    if summary.get('n_unlabelled'):
        counts.append(('unlabelled (not scored)', int(summary['n_unlabelled'])))
    rows += [[name, str(count)] + [''] * len(ci) for name, count in counts]
    # The title goes on its own line: AsciiTable drops a title wider than
    # the table.
    print_log(f'\n{title}\n' + AsciiTable(rows).table, logger='current')


def _write_csv(path: str, header: Sequence[str], rows: List[Sequence]) -> None:
    write_csv_atomic(path, header, rows)
    print_log(f'wrote {path}', logger='current')


@METRICS.register_module()
class ISICSegMetric(BaseMetric):
    """ISIC lesion segmentation scores: JA, DI, AC, SE, SP, TJA and median JA.

    Each image's pixel confusion counts give its scores at the original
    resolution; the results are plain means over images (ISIC 2017 Part 1;
    TJA is the ISIC 2018 thresholded JA). An image with no detection has an
    empty predicted mask and is scored, never dropped.

    Args:
        empty_rule: ``'one'`` (official scorer today): an empty denominator
            scores 1.0; ``'exclude'`` (2016/2017 platform): the image is left
            out of that metric's mean.
        tja_threshold: JA below it counts as 0 in TJA.
        out_dir: if set, write the predicted masks and ``per_image.csv`` here.
        ci_resamples: if > 0, log and return 95% bootstrap intervals
            (``<name>_lo`` / ``<name>_hi``) from this many resamples.
        ci_seed: seed of the bootstrap.
        collect_device, prefix, collect_dir: see mmengine ``BaseMetric``.
    """

    default_prefix: Optional[str] = 'isic_seg'

    def __init__(self,
                 empty_rule: str = 'one',
                 tja_threshold: float = TJA_THRESHOLD,
                 out_dir: Optional[str] = None,
                 ci_resamples: int = 0,
                 ci_seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if empty_rule not in EMPTY_RULES:
            raise ValueError(f'ISICSegMetric.empty_rule must be one of {EMPTY_RULES}, '
                             f'got {empty_rule!r}')
        _check_fraction('ISICSegMetric.tja_threshold', tja_threshold)
        self.empty_rule = empty_rule
        self.tja_threshold = tja_threshold
        self.out_dir = out_dir
        self.ci_resamples = ci_resamples
        self.ci_seed = ci_seed

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep each image's confusion counts and lesion scalars; write its mask."""
        for data_sample in data_samples:
            lesion = _pred_lesion(data_sample)
            record = _lesion_record(data_sample, lesion)
            image_id = record['record'].image_id
            pred_mask = to_numpy(lesion['mask']).astype(bool)
            try:
                counts = confusion_counts(pred_mask, _gt_mask(data_sample))
            except ValueError as error:
                raise ValueError(f'{image_id}: {error}') from None
            record['counts'] = tuple(int(c) for c in counts)
            if self.out_dir is not None:
                name = mask_file_name(image_id, data_sample.get('img_path') or image_id)
                write_mask_atomic(osp.join(self.out_dir, 'masks', name), pred_mask)
            self.results.append(record)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over images, a logged table and, with ``out_dir``, ``per_image.csv``."""
        counts = np.array([r['counts'] for r in results], dtype=np.int64).reshape(-1, 4)
        summary = segmentation_summary(counts, self.empty_rule, self.tja_threshold)
        summary['n'] = len(results)
        scores = per_image_scores(counts, self.empty_rule)
        intervals = segmentation_intervals(
            scores, self.tja_threshold, self.ci_resamples,
            seed=self.ci_seed) if self.ci_resamples else None
        _log_table(f'ISIC segmentation (empty_rule={self.empty_rule})', summary, results,
                   intervals)
        if self.out_dir is not None:
            rows = [per_image_row(r['record'], r['gt_label'],
                                  [scores[name][i] for name in SEG_METRICS])
                    for i, r in enumerate(results)]
            _write_csv(osp.join(self.out_dir, 'per_image.csv'), PER_IMAGE_COLUMNS, rows)
        return with_interval_keys(summary, intervals)


@METRICS.register_module()
class ISICClsMetric(BaseMetric):
    """ISIC lesion classification scores: AC, AUC, AP, SE, SP and SP at set SEs.

    Uses each image's combined ``p_malignant``; an image with no detection
    keeps the detector's ``empty_p_malignant`` and is scored, never dropped.
    Images without a ground-truth label cannot be scored and are left out
    with a warning; the results count both (``n`` scored, ``n_unlabelled``).

    Args:
        positive: ``'malignant'`` (clinical convention) or ``'benign'`` (the
            paper's III-C convention: TP = correctly classified benign).
        threshold: a lesion is called positive iff its score > threshold.
        sensitivities: report specificity at each of these sensitivities
            (ISBI 2016: 0.95, 0.98, 0.99; ISIC 2017: 0.82, 0.89, 0.95).
        empty_rule: SE (SP) when no lesion is positive (negative); see
            :class:`ISICSegMetric`.
        out_dir: if set, write ``part3_submission.csv`` here.
        ci_resamples: if > 0, log and return 95% intervals (``<name>_lo`` /
            ``<name>_hi``): bootstrap from this many resamples, DeLong's
            for AUC.
        ci_seed: seed of the bootstrap.
        collect_device, prefix, collect_dir: see mmengine ``BaseMetric``.
    """

    default_prefix: Optional[str] = 'isic_cls'

    def __init__(self,
                 positive: str = 'malignant',
                 threshold: float = 0.5,
                 sensitivities: Sequence[float] = ISBI2016_SENSITIVITIES,
                 empty_rule: str = 'one',
                 out_dir: Optional[str] = None,
                 ci_resamples: int = 0,
                 ci_seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if positive not in ('malignant', 'benign'):
            raise ValueError(f"ISICClsMetric.positive must be 'malignant' or 'benign', "
                             f'got {positive!r}')
        if empty_rule not in EMPTY_RULES:
            raise ValueError(f'ISICClsMetric.empty_rule must be one of {EMPTY_RULES}, '
                             f'got {empty_rule!r}')
        for value in (threshold, *sensitivities):
            _check_fraction('ISICClsMetric.threshold and sensitivities', value)
        self.positive = positive
        self.threshold = threshold
        self.sensitivities = tuple(sensitivities)
        self.empty_rule = empty_rule
        self.out_dir = out_dir
        self.ci_resamples = ci_resamples
        self.ci_seed = ci_seed

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep each image's p_malignant and labels."""
        for data_sample in data_samples:
            self.results.append(_lesion_record(data_sample, _pred_lesion(data_sample)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Scores over labelled images, a logged table and, with ``out_dir``, the CSV."""
        if self.out_dir is not None:
            _write_csv(
                osp.join(self.out_dir, 'part3_submission.csv'), ('image_id', 'melanoma'),
                [[r['record'].image_id, f'{r["record"].p_malignant:.6f}'] for r in results])
        labelled = [r for r in results if r['gt_label'] >= 0]
        if len(labelled) < len(results):
            unlabelled = [r['record'].image_id for r in results if r['gt_label'] < 0]
            print_log(
                f'{len(unlabelled)} images have no ground-truth label and are not scored: '
                f'{", ".join(unlabelled[:10])}',
                logger='current',
                level=logging.WARNING)
        if not labelled:
            raise ValueError('ISICClsMetric: no image has a ground-truth label; load '
                             'annotations with LoadAnnotations in the test pipeline')
        if any(math.isnan(r['record'].p_malignant) for r in labelled):
            raise ValueError('ISICClsMetric: p_malignant is NaN: the model has one foreground '
                             'class and no benign / malignant classifier; evaluate it with '
                             'ISICSegMetric only')
        gt_labels = [r['gt_label'] for r in labelled]
        p_malignant = [r['record'].p_malignant for r in labelled]
        summary = classification_summary(gt_labels, p_malignant,
                                         positive=self.positive,
                                         threshold=self.threshold,
                                         sensitivities=self.sensitivities,
                                         empty_rule=self.empty_rule)
        summary.update(n=len(labelled), n_unlabelled=len(results) - len(labelled))
        intervals = classification_intervals(
            gt_labels, p_malignant, self.positive, self.threshold, self.ci_resamples,
            seed=self.ci_seed) if self.ci_resamples else None
        _log_table(f'ISIC classification (positive={self.positive})', summary, results,
                   intervals)
        return with_interval_keys(summary, intervals)
