"""Inference on new images: one lesion per photo, written as a CSV row, a
mask PNG and a Fig. 4 style overlay (paper II-B-3, "results combination").

Photos are decoded by :func:`mmskin.utils.read_image`, once, rather than by
the config's loading step, so that whatever the file holds (grayscale, RGBA,
16-bit) the model sees an 8-bit colour image, used as stored (an EXIF
orientation tag is ignored, as by the converter and the dataset), and the
mask written back has the stored size, that of the ground truth. The job is
split by step: :mod:`.model` builds the model, :mod:`.predict` runs it,
:mod:`.result_writer` writes the files, :mod:`mmskin.visualization` draws.
"""
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
import torch.nn as nn
from mmengine.model import BaseTTAModel
from tqdm import tqdm

from mmskin.analysis.abcd import abcd_features
from mmskin.utils import MASK_SUFFIXES, ISICFileError, find_mask, read_image, read_mask
from .model import build_test_pipeline
from .predict import predict_lesion
from .result_writer import LesionResultWriter
from .saliency import lesion_cam


@dataclass
class InferenceSummary:
    """What :func:`run_inference` did.

    Attributes:
        processed: images whose outputs were written.
        failed: ``(image, problem)`` of each image skipped.
        gt_problems: ``(image, problem)`` of each image drawn without its
            ground truth (no mask found, or a mask that cannot be used).
    """
    processed: int = 0
    failed: List[Tuple[Path, str]] = field(default_factory=list)
    gt_problems: List[Tuple[Path, str]] = field(default_factory=list)


def _report_stderr(line: str) -> None:
    tqdm.write(line, file=sys.stderr)


def run_inference(model: nn.Module,
                  images: List[Path],
                  out_dir: Union[str, Path],
                  gt_dir: Optional[Union[str, Path]] = None,
                  progress: bool = True,
                  report: Callable[[str], None] = _report_stderr,
                  cam: bool = False,
                  cam_layer: Optional[str] = None,
                  abcd: bool = False,
                  threshold: float = 0.5) -> InferenceSummary:
    """Predict the lesion of every image and write the results.

    A file that is not a usable image is reported (one line naming it and
    the problem) and skipped; the others are still processed and what was
    written stays. See :class:`LesionResultWriter` for the outputs.

    Args:
        model: from :func:`init_lesion_model`.
        images: e.g. from :func:`mmskin.utils.list_images`. Two images with
            the same name stem would write the same files: the later one is
            skipped.
        out_dir: output folder, created if needed. The rows of an existing
            ``predictions.csv`` are kept, except those of images processed
            again, which are replaced; each image's outputs appear together
            or not at all (:class:`LesionResultWriter`).
        gt_dir: optional folder of ground-truth masks
            (:data:`mmskin.utils.MASK_SUFFIXES`), drawn in black on the
            overlays. An
            image without a usable one is reported and drawn without it.
        progress: show a progress bar when there are several images.
        report: receives the report lines (default: stderr, under the bar).
        cam: also write each image's saliency map (:func:`lesion_cam`).
        cam_layer: the layer the map explains (``layer`` of
            :func:`lesion_cam`; default: the FPN output the box is pooled
            from).
        abcd: also write the ABCD features of each predicted lesion
            (:func:`mmskin.analysis.abcd.abcd_features`) in ``predictions.csv``.
        threshold: an image is labelled malignant iff ``p_malignant >
            threshold`` (:func:`predict_lesion`).
    """
    if gt_dir is not None and not Path(gt_dir).is_dir():
        raise ISICFileError(gt_dir, 'ground-truth mask folder does not exist')
    pipeline = build_test_pipeline(model.cfg, tta=isinstance(model, BaseTTAModel))
    # The saliency map explains the detector itself, on the photo as it is.
    detector = model.module if isinstance(model, BaseTTAModel) else model
    cam_pipeline = pipeline if detector is model or not cam else build_test_pipeline(model.cfg)
    summary = InferenceSummary()
    first_of_stem = {}
    with LesionResultWriter(out_dir, abcd=abcd) as writer:
        for path in tqdm(images, unit='img', disable=not progress or len(images) < 2):
            path = Path(path)
            if path.stem in first_of_stem:
                problem = (f'same name stem as {first_of_stem[path.stem]}, whose outputs '
                           'would be overwritten')
                summary.failed.append((path, problem))
                report(f'skipped {path}: {problem}')
                continue
            try:
                image = read_image(path)
            except ISICFileError as err:
                summary.failed.append((path, err.problem))
                report(f'skipped {err}')
                continue
            first_of_stem[path.stem] = path
            gt_mask = None
            if gt_dir is not None:
                gt_mask = _ground_truth(gt_dir, path, image.shape[:2], summary, report)
            prediction = predict_lesion(model, image, pipeline, threshold=threshold)
            saliency = (lesion_cam(detector, image, prediction, cam_layer, cam_pipeline)
                        if cam else None)
            features = abcd_features(image, prediction.mask) if abcd else None
            try:
                writer.write(path.name, image, prediction, gt_mask, saliency, features)
            except ISICFileError as err:
                summary.failed.append((path, err.problem))
                report(f'skipped {err}')
                continue
            summary.processed += 1
    return summary


def _ground_truth(gt_dir: Union[str, Path], image_path: Path, shape: Tuple[int, int],
                  summary: InferenceSummary,
                  report: Callable[[str], None]) -> Optional[np.ndarray]:
    """The usable ground-truth mask of an image, or None after reporting why not."""
    gt_path = find_mask(gt_dir, image_path.stem)
    if gt_path is None:
        names = ' or '.join(image_path.stem + suffix for suffix in MASK_SUFFIXES)
        problem = f'{gt_dir}: no {names}'
    else:
        try:
            return read_mask(gt_path, shape)
        except ISICFileError as err:
            problem = str(err)
    summary.gt_problems.append((image_path, problem))
    report(f'ground truth not drawn for {image_path.name}: {problem}')
    return None
