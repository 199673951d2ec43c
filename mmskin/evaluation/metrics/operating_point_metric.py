"""The decisions at a chosen operating point, beside those at the ISIC 0.5.

``tools/test.py --operating-point FILE`` adds this metric to the test
evaluator with the threshold and calibration of FILE
(:mod:`mmskin.analysis.operating_point`), fitted on a calibration part:
the run then reports, on the images it tests, what a reader of a
classifier's paper looks for besides AUC: its sensitivity and specificity at
the point it would be used, and how well its probabilities are calibrated.
"""
from typing import Any, Dict, List, Optional, Sequence

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from ..calibration import operating_point_summary
from ..functional import EMPTY_RULES
from .isic_metric import _lesion_record, _pred_lesion

#: The ISIC challenges' threshold.
ISIC_THRESHOLD = 0.5


@METRICS.register_module()
class OperatingPointMetric(BaseMetric):
    """AC, SE and SP of ``p_malignant > threshold`` (malignant positive) at
    the ISIC 0.5 and at ``threshold``, and with ``calibration`` the expected
    calibration error before and after it.

    Returns ``AC``, ``SE``, ``SP`` at the operating point, ``AC_isic``,
    ``SE_isic``, ``SP_isic`` at 0.5 and, with a calibration, ``ECE`` and
    ``ECE_calibrated``; unlabelled images are left out.

    Args:
        threshold: the operating point on ``p_malignant``.
        rule: the rule that chose it, for the log.
        calibration: ``dict(method, a, b)`` of
            :func:`~mmskin.evaluation.calibration.fit_calibration`, or None.
        empty_rule: SE (SP) without malignant (benign) lesions; see
            :class:`~mmskin.evaluation.metrics.ISICSegMetric`.
        collect_device, prefix, collect_dir: see mmengine ``BaseMetric``.
    """

    default_prefix: Optional[str] = 'isic_op'

    def __init__(self,
                 threshold: float,
                 rule: str = '',
                 calibration: Optional[Dict[str, Any]] = None,
                 empty_rule: str = 'one',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'OperatingPointMetric.threshold must be in [0, 1], '
                             f'got {threshold!r}')
        if empty_rule not in EMPTY_RULES:
            raise ValueError(f'OperatingPointMetric.empty_rule must be one of '
                             f'{EMPTY_RULES}, got {empty_rule!r}')
        self.threshold = float(threshold)
        self.rule = rule
        self.calibration = dict(calibration) if calibration else None
        self.empty_rule = empty_rule

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep each image's p_malignant and label."""
        for data_sample in data_samples:
            self.results.append(_lesion_record(data_sample, _pred_lesion(data_sample)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The scores and their logged table."""
        labelled = [r for r in results if r['gt_label'] >= 0]
        if not labelled:
            raise ValueError('OperatingPointMetric: no image has a ground-truth label')
        labels = [r['gt_label'] for r in labelled]
        p = [r['record'].p_malignant for r in labelled]
        at_point = operating_point_summary(labels, p, self.threshold, self.calibration,
                                           self.empty_rule)
        at_isic = operating_point_summary(labels, p, ISIC_THRESHOLD, None, self.empty_rule)
        rows = [['metric', f'at {ISIC_THRESHOLD:g} (ISIC)', f'at {self.threshold:.4f}']]
        rows += [[name, f'{at_isic[name]:.4f}', f'{at_point[name]:.4f}']
                 for name in ('AC', 'SE', 'SP')]
        if self.calibration is not None:
            rows += [['ECE before / after calibration', f'{at_point["ECE"]:.4f}',
                      f'{at_point["ECE_calibrated"]:.4f} ({self.calibration["method"]})']]
        print_log(f'\nISIC classification at the operating point (rule {self.rule or "given"}, '
                  f'malignant iff p_malignant > {self.threshold:.4f}; {len(labelled)} '
                  f'lesions)\n' + AsciiTable(rows).table, logger='current')
        summary = dict(at_point)
        summary.update({f'{name}_isic': at_isic[name] for name in ('AC', 'SE', 'SP')})
        return summary
