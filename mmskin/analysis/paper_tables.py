"""The results the paper reports, Tables III-X, keyed by table and config.

Song et al. (IEEE JBHI 2020) report ISIC 2017 test-set scores (Table V:
ISBI 2016) of every experiment; each experiment is a config in
``configs/isic/``. The classification tables follow the paper's III-C
convention: benign is the positive class (``positive='benign'``). These
numbers are those of docs/experiments.md's tables (a test checks that
they agree).
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from mmskin.evaluation.functional import CLS_METRICS, SEG_METRICS

#: Columns of the classification tables (III, IV, V, IX): the metrics in the
#: paper's order, AC AUC SE SP AP.
CLS_COLUMNS = tuple(CLS_METRICS[i] for i in (0, 1, 3, 4, 2))
#: Columns of the segmentation tables (VI, VII, VIII, X), in the paper's order.
SEG_COLUMNS = SEG_METRICS


@dataclass(frozen=True)
class PaperRow:
    """One row: its label in the paper, its config and the reported scores
    (None where the paper has a dash: the experiment has no such output)."""

    label: str
    config: str
    scores: Tuple[Optional[float], ...]


@dataclass(frozen=True)
class PaperTable:
    """One table of the paper."""

    name: str
    task: str  # 'classification' or 'segmentation'
    title: str
    rows: Tuple[PaperRow, ...]

    @property
    def columns(self) -> Tuple[str, ...]:
        return CLS_COLUMNS if self.task == 'classification' else SEG_COLUMNS

    @property
    def positive(self) -> str:
        """The positive class of the classification scores (paper III-C)."""
        return 'benign'

    def row_of(self, config: str) -> Optional[PaperRow]:
        """The row of a config name (with or without ``.py``), or None."""
        stem = config[:-3] if config.endswith('.py') else config
        return next((row for row in self.rows if row.config == f'{stem}.py'), None)

    def reported(self, row: PaperRow) -> Dict[str, Optional[float]]:
        return dict(zip(self.columns, row.scores))


def _table(name: str, task: str, title: str, rows) -> PaperTable:
    return PaperTable(name, task, title, tuple(
        PaperRow(label, config, tuple(scores)) for label, config, scores in rows))


_LOSS_ROWS = (('Original', 'mask_rcnn_r101_fpn_ce.py'),
              ('Dice Loss (DL)', 'mask_rcnn_r101_fpn_dice.py'),
              ('Focal Loss (FL)', 'mask_rcnn_r101_fpn_focal.py'),
              ('Jaccard Loss (JL)', 'mask_rcnn_r101_fpn_jaccard.py'),
              ('FL+JL', 'mask_rcnn_r101_fpn_focaljac.py'),
              ('FL+JL+DL', 'mask_rcnn_r101_fpn_focaljacdice.py'))
_HYPER_ROWS = (('COCO, ResNet50, 1 x 2', 'mask_rcnn_r50_fpn_focaljac_cocoinit.py'),
               ('COCO, ResNet50, 2 x 2', 'mask_rcnn_r50_fpn_focaljac_cocoinit_2x2.py'),
               ('COCO, ResNet101, 1 x 2', 'mask_rcnn_r101_fpn_focaljac_cocoinit.py'),
               ('COCO, ResNet101, 2 x 2', 'mask_rcnn_r101_fpn_focaljac_cocoinit_2x2.py'),
               ('IMAGENET, ResNet50, 1 x 2', 'mask_rcnn_r50_fpn_focaljac.py'),
               ('IMAGENET, ResNet50, 2 x 2', 'mask_rcnn_r50_fpn_focaljac_2x2.py'),
               ('IMAGENET, ResNet101, 1 x 2', 'mask_rcnn_r101_fpn_focaljac.py'),
               ('IMAGENET, ResNet101, 2 x 2', 'mask_rcnn_r101_fpn_focaljac_2x2.py'))
_TASK_ROWS = (('Cls', 'mask_rcnn_r101_fpn_focaljac_cls.py'),
              ('Seg', 'mask_rcnn_r101_fpn_focaljac_seg.py'),
              ('Cls+Seg', 'mask_rcnn_r101_fpn_focaljac_clsseg.py'),
              ('Cls+Dec+Seg', 'mask_rcnn_r101_fpn_focaljac.py'))
_ = None  # a dash in the paper


def _rows(labelled_configs, values):
    return [(label, config, scores) for (label, config), scores in zip(labelled_configs, values)]


PAPER_TABLES: Dict[str, PaperTable] = {
    table.name: table
    for table in (
        _table('III', 'classification', 'Loss functions, classification (ImageNet, ResNet-101, '
               '1 x 2)', _rows(_LOSS_ROWS, (
                   (0.788, 0.754, 0.991, 0.573, 0.796), (0.790, 0.765, 0.990, 0.664, 0.787),
                   (0.801, 0.749, 0.986, 0.730, 0.804), (0.793, 0.783, 0.991, 0.647, 0.815),
                   (0.813, 0.794, 0.977, 0.731, 0.823), (0.806, 0.790, 0.979, 0.727, 0.818)))),
        _table('VI', 'segmentation', 'Loss functions, segmentation (ImageNet, ResNet-101, 1 x 2)',
               _rows(_LOSS_ROWS, (
                   (0.789, 0.868, 0.952, 0.829, 0.983), (0.794, 0.873, 0.948, 0.830, 0.972),
                   (0.805, 0.880, 0.950, 0.846, 0.983), (0.813, 0.889, 0.946, 0.861, 0.976),
                   (0.799, 0.878, 0.959, 0.831, 0.986), (0.796, 0.875, 0.958, 0.833, 0.980)))),
        _table('IV', 'classification', 'Hyper-parameters, classification (FL+JL)',
               _rows(_HYPER_ROWS, (
                   (0.851, 0.776, 0.986, 0.802, 0.820), (0.905, 0.708, 0.991, 0.880, 0.806),
                   (0.838, 0.731, 0.981, 0.968, 0.825), (0.918, 0.696, 0.978, 0.893, 0.804),
                   (0.859, 0.769, 0.988, 0.821, 0.803), (0.905, 0.610, 0.987, 0.915, 0.809),
                   (0.813, 0.794, 0.977, 0.731, 0.823), (0.868, 0.760, 0.984, 0.880, 0.816)))),
        _table('VII', 'segmentation', 'Hyper-parameters, segmentation (FL+JL)',
               _rows(_HYPER_ROWS, (
                   (0.814, 0.887, 0.956, 0.850, 0.985), (0.843, 0.906, 0.958, 0.879, 0.984),
                   (0.823, 0.895, 0.955, 0.863, 0.981), (0.849, 0.911, 0.956, 0.888, 0.985),
                   (0.818, 0.894, 0.965, 0.848, 0.986), (0.836, 0.905, 0.968, 0.862, 0.985),
                   (0.799, 0.878, 0.959, 0.831, 0.986), (0.828, 0.899, 0.959, 0.862, 0.983)))),
        _table('V', 'classification', 'Training data, ISBI 2016 test set, classification '
               '(COCO, ResNet-101, 1 x 2)', [
                   ('Ours (ISIC archive)', 'mask_rcnn_r101_fpn_focaljac_cocoinit_isbi2016test.py',
                    (0.891, 0.805, 0.996, 0.723, 0.815)),
                   ('Ours (ONLY ISBI2016)', 'mask_rcnn_r101_fpn_focaljac_cocoinit_isbi2016.py',
                    (0.880, 0.796, 0.994, 0.657, 0.782))]),
        _table('VIII', 'segmentation', 'Training data, ISIC 2017 test set, segmentation '
               '(COCO, ResNet-101, 2 x 2)', [
                   ('Ours (ISIC archive)', 'mask_rcnn_r101_fpn_focaljac_cocoinit_2x2.py',
                    (0.849, 0.911, 0.956, 0.888, 0.985)),
                   ('Ours (ONLY ISIC2017)', 'mask_rcnn_r101_fpn_focaljac_cocoinit_2x2_isic2017.py',
                    (0.816, 0.883, 0.950, 0.871, 0.982))]),
        _table('IX', 'classification', 'Multi-task ablation, classification (ImageNet, '
               'ResNet-101, 1 x 2, FL+JL)', _rows(_TASK_ROWS, (
                   (0.763, 0.752, 0.968, 0.705, 0.787), (_, _, _, _, _),
                   (0.798, 0.786, 0.977, 0.720, 0.815), (0.813, 0.794, 0.977, 0.731, 0.823)))),
        _table('X', 'segmentation', 'Multi-task ablation, segmentation (ImageNet, ResNet-101, '
               '1 x 2, FL+JL)', _rows(_TASK_ROWS, (
                   (_, _, _, _, _), (0.760, 0.827, 0.930, 0.829, 0.964),
                   (0.782, 0.850, 0.948, 0.823, 0.975), (0.799, 0.878, 0.959, 0.831, 0.986)))),
    )
}
