"""Seeded, stratified train / validation splits of a labelled image set."""
from typing import Dict, List, Sequence, Tuple

import numpy as np


def stratified_split(labels: Dict[str, int], val_size: int,
                     seed: int) -> Tuple[List[str], List[str]]:
    """Split image ids into train and validation parts with the same class shares.

    Each class gives ``round(val_size * its share)`` images to the validation
    part (the largest class absorbs the rounding so the part has exactly
    ``val_size`` images), drawn by ``numpy.random.RandomState(seed)`` from the
    class's ids in sorted order: the same labels and seed give the same split.

    Returns:
        (train_ids, val_ids), each sorted.
    """
    if not 0 < val_size < len(labels):
        raise ValueError(f'val_size must be between 1 and {len(labels) - 1}, got {val_size}')
    rng = np.random.RandomState(seed)
    classes = sorted(set(labels.values()), key=lambda c: sum(v == c for v in labels.values()))
    val_ids: List[str] = []
    for i, cls in enumerate(classes):
        ids = sorted(k for k, v in labels.items() if v == cls)
        if i < len(classes) - 1:
            n_val = round(val_size * len(ids) / len(labels))
        else:
            n_val = val_size - len(val_ids)
        val_ids += [ids[j] for j in rng.permutation(len(ids))[:n_val]]
    val_set = set(val_ids)
    return sorted(k for k in labels if k not in val_set), sorted(val_ids)


def carve_calibration(labels: Dict[str, int], train_ids: Sequence[str], fraction: float,
                      seed: int) -> Tuple[List[str], List[str]]:
    """Split a training part into the images trained on and a calibration part.

    The calibration part (where an operating point and a probability
    calibration are fitted, on images the model never trained on) is
    ``round(fraction * len(train_ids))`` images drawn from ``train_ids`` only,
    by :func:`stratified_split` with ``seed``: the validation part, which
    only reports, is left as it was.

    Returns:
        (train_ids, calib_ids), each sorted.
    """
    if not 0 < fraction < 1:
        raise ValueError(f'the calibration fraction must be between 0 and 1, got {fraction}')
    calib_size = round(fraction * len(train_ids))
    if not 0 < calib_size < len(train_ids):
        raise ValueError(f'a calibration fraction of {fraction} of {len(train_ids)} training '
                         f'images leaves {calib_size} for calibration')
    return stratified_split({i: labels[i] for i in train_ids}, calib_size, seed)
