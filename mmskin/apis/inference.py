"""Inference on new images: one lesion per photo, written as a CSV row, a
mask PNG and a Fig. 4 style overlay (paper II-B-3, "results combination").

Photos are decoded here, once, rather than by the config's loading step, so
that whatever the file holds (grayscale, RGBA, 16-bit, an EXIF orientation)
the model sees the 8-bit image the user sees, and the mask written back has
that image's size and orientation.
"""
import copy
import csv
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.registry import MODELS
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.structures import BaseDataElement
from PIL import Image, ImageOps, UnidentifiedImageError
from tqdm import tqdm

from mmskin.datasets.isic import ISIC_CLASSES
from mmskin.models.detectors import SkinLesionMaskRCNN
from mmskin.utils import trust_checkpoint
from mmskin.visualization import draw_lesion_overlay
from .runner_setup import ConfigError

#: File suffixes (lower case) taken as images when the input is a folder.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
#: Ground-truth mask names tried for a photo ``<stem>.jpg``: ISIC 2017 and ISBI 2016.
GT_MASK_SUFFIXES = ('_segmentation.png', '_Segmentation.png')
#: Columns of ``predictions.csv``; the box is empty when nothing was detected.
CSV_COLUMNS = ('image', 'p_malignant', 'label', 'score', 'x0', 'y0', 'x1', 'y1', 'area',
               'detected')
# PIL modes of 16-bit samples; 'I' is how PIL opens 16-bit PNGs in some versions.
_16BIT_MODES = ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I')


class ImageReadError(ValueError):
    """A file that cannot be used as an image.

    Attributes:
        path: the file.
        problem: what is wrong with it (the message is ``'<path>: <problem>'``).
    """

    def __init__(self, path: Union[str, Path], problem: str) -> None:
        super().__init__(f'{path}: {problem}')
        self.path = Path(path)
        self.problem = problem


def read_image(path: Union[str, Path]) -> np.ndarray:
    """Decode a photo to the 8-bit BGR array the model takes.

    The EXIF orientation is applied (the image is what a viewer shows);
    grayscale and palette images are expanded to three channels, an alpha
    channel is dropped and 16-bit samples keep their high byte, as OpenCV
    (and so the training pipeline) does.

    Raises:
        ImageReadError: the file is missing, not an image, truncated or
            corrupt, or holds floating-point samples.
    """
    try:
        with Image.open(path) as opened:
            opened.load()
            img = ImageOps.exif_transpose(opened)
    except FileNotFoundError:
        raise ImageReadError(path, 'no such file') from None
    except UnidentifiedImageError:
        raise ImageReadError(path, 'not an image file (unknown format)') from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        # PIL signals truncated and corrupt data with OSError / SyntaxError.
        raise ImageReadError(path, f'corrupt or truncated image ({err})') from None
    if img.mode in _16BIT_MODES:
        gray = (np.asarray(img).astype(np.uint32).clip(0, 65535) >> 8).astype(np.uint8)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if img.mode == 'F':
        raise ImageReadError(path, 'floating-point pixels are not supported; expected 8- or '
                             '16-bit samples')
    rgb = np.asarray(img.convert('RGB'))
    return np.ascontiguousarray(rgb[..., ::-1])


def list_images(path: Union[str, Path]) -> List[Path]:
    """The photos to run on: ``path`` itself if it is a file, else the files
    of folder ``path`` (not its sub-folders) with an image suffix, sorted.

    ISIC 2017 data folders also hold ``*_superpixels.png`` files, which are
    not photos; they are left out.

    Raises:
        FileNotFoundError: ``path`` does not exist, or the folder holds no image.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f'{path}: no such file or folder')
    images = sorted(
        p for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith('.')
        and not p.stem.endswith('_superpixels'))
    if not images:
        raise FileNotFoundError(
            f'{path}: the folder holds no image (expected files ending in '
            f'{", ".join(IMAGE_SUFFIXES)})')
    return images


def build_test_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline for an image given as an array.

    As mmdet's ``inference_detector``: the loading step becomes
    ``LoadImageFromNDArray``. Steps that load annotations are removed, since
    new photos have none.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    steps = [
        step for step in copy.deepcopy(get_test_pipeline_cfg(cfg))
        if 'LoadAnnotations' not in _type_name(step)
    ]
    if not steps or 'LoadImage' not in _type_name(steps[0]):
        raise ConfigError(f'{cfg.filename}: the test pipeline must start with an image loading '
                          f'step, found {[_type_name(s) for s in steps[:1]]}')
    steps[0]['type'] = 'mmdet.LoadImageFromNDArray'
    return Compose(steps)


def _type_name(step: dict) -> str:
    kind = step.get('type', '')
    return kind if isinstance(kind, str) else kind.__name__


def init_lesion_model(config: Union[str, Path, Config],
                      checkpoint: Union[str, Path],
                      device: str = 'cpu',
                      cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the config's model and load a checkpoint into it, for inference.

    Like mmdet's ``init_detector``, but the checkpoint is trusted first (it
    is the one the user named, see ``mmskin/utils/checkpoint.py``), loaded
    strictly (a checkpoint of another architecture is an error, not a model
    with random layers) and the model must be a
    :class:`~mmskin.models.detectors.SkinLesionMaskRCNN`, whose predictions
    carry the combined lesion.

    Raises:
        FileNotFoundError: the config or checkpoint file does not exist.
        ConfigError: the device is unavailable, the model is not a
            ``SkinLesionMaskRCNN`` or the checkpoint does not fit it.
    """
    if isinstance(config, (str, Path)):
        if not Path(config).is_file():
            raise FileNotFoundError(f'{config}: no such config file')
        config = Config.fromfile(str(config))
    cfg = copy.deepcopy(config)
    checkpoint = str(checkpoint)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not checkpoint.startswith(('http://', 'https://')) and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'{checkpoint}: no such checkpoint file')
    try:
        device_type = torch.device(device).type
    except RuntimeError:
        raise ConfigError(f'--device {device}: not a device name (e.g. cpu, cuda:0)') from None
    if device_type == 'cuda' and not torch.cuda.is_available():
        raise ConfigError(f'--device {device}: CUDA is not available on this machine; '
                          'use --device cpu')

    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    if not isinstance(model, SkinLesionMaskRCNN):
        raise ConfigError(f'{cfg.filename}: model.type is {type(model).__name__}; inference '
                          'needs SkinLesionMaskRCNN (or a subclass), whose predictions hold '
                          'the combined lesion')
    model = revert_sync_batchnorm(model)
    trust_checkpoint(checkpoint)
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    except RuntimeError as err:
        raise ConfigError(f'{checkpoint}: the weights do not fit the model of {cfg.filename} '
                          f'({str(err).splitlines()[0]}); was it trained with this config?'
                          ) from err
    model.cfg = cfg
    return model.to(device).eval()


@dataclass(frozen=True)
class LesionPrediction:
    """The combined result of one image (paper II-B-3), as numpy values.

    Attributes:
        p_malignant: probability of malignancy.
        label: 0 benign, 1 malignant (``ISIC_CLASSES`` order).
        score: detection score of the lesion, 0.0 without detection.
        bbox: float32 ``(x0, y0, x1, y1)`` at the image's resolution, zeros
            without detection.
        mask: bool (H, W) at the image's resolution.
        detected: whether the detector found a lesion.
    """
    p_malignant: float
    label: int
    score: float
    bbox: np.ndarray
    mask: np.ndarray
    detected: bool

    @classmethod
    def from_data_element(cls, lesion: BaseDataElement) -> 'LesionPrediction':
        """From the ``pred_lesion`` that ``SkinLesionMaskRCNN.predict`` adds."""
        return cls(
            p_malignant=float(lesion.p_malignant),
            label=int(lesion.label),
            score=float(lesion.score),
            bbox=lesion.bbox.detach().cpu().numpy().astype(np.float32),
            mask=lesion.mask.detach().cpu().numpy().astype(bool),
            detected=bool(lesion.detected))

    @property
    def label_name(self) -> str:
        return ISIC_CLASSES[self.label]

    @property
    def area(self) -> int:
        """Lesion area in pixels of the original image."""
        return int(self.mask.sum())


def predict_lesion(model: nn.Module, image: np.ndarray,
                   pipeline: Optional[Compose] = None) -> LesionPrediction:
    """Run the model on one BGR uint8 image (H, W, 3), e.g. from :func:`read_image`.

    Args:
        model: from :func:`init_lesion_model`.
        image: the photo; the prediction has its size.
        pipeline: :func:`build_test_pipeline` of ``model.cfg``; built on
            each call if not given.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be BGR uint8 (H, W, 3), got {image.dtype} {image.shape}')
    if pipeline is None:
        pipeline = build_test_pipeline(model.cfg)
    data = pipeline(dict(img=image, img_id=0))
    sample = data['data_samples']
    batch = dict(inputs=[data['inputs']], data_samples=[sample])
    with torch.no_grad():
        sample = model.test_step(batch)[0]
    return LesionPrediction.from_data_element(sample.pred_lesion)


def find_gt_mask(gt_dir: Union[str, Path], stem: str) -> Optional[Path]:
    """The ground-truth mask ``<stem>_segmentation.png`` (ISIC 2017) or
    ``<stem>_Segmentation.png`` (ISBI 2016) in ``gt_dir``, if present."""
    for suffix in GT_MASK_SUFFIXES:
        candidate = Path(gt_dir) / f'{stem}{suffix}'
        if candidate.is_file():
            return candidate
    return None


def read_gt_mask(path: Union[str, Path], shape: Tuple[int, int]) -> np.ndarray:
    """A ground-truth mask as bool (H, W), foreground where the value is
    > 128, as the official ISIC scorer binarises.

    Raises:
        ImageReadError: unreadable, not of size ``shape``, or foreground
            only below 129 (e.g. a 0/1 PNG, which the ISIC scorer reads as
            all background).
    """
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise ImageReadError(path, 'unreadable mask (expected a single-channel PNG)')
    if mask.shape != tuple(shape):
        hint = ' (transposed: is the photo EXIF-rotated?)' if mask.shape == tuple(shape)[::-1] \
            else ''
        raise ImageReadError(path, f'mask is {mask.shape[1]}x{mask.shape[0]} (WxH) but the '
                             f'image is {shape[1]}x{shape[0]}{hint}')
    foreground = mask > 128
    if mask.any() and not foreground.any():
        raise ImageReadError(path, f'mask values are at most {mask.max()}; the ISIC scorer '
                             'reads only values > 128 as lesion (write masks as 0/255)')
    return foreground


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: an interrupted run leaves no half file."""
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _encode(path: Path, image: np.ndarray, params: Tuple[int, ...] = ()) -> bytes:
    ok, buf = cv2.imencode(path.suffix, image, list(params))
    if not ok:
        raise OSError(f'{path}: OpenCV could not encode the image')
    return buf.tobytes()


class LesionResultWriter:
    """Writes the outputs of :func:`run_inference` under ``out_dir``.

    * ``predictions.csv``: one row per image (:data:`CSV_COLUMNS`), flushed
      after each row so that an interrupted run keeps every finished image;
    * ``masks/<stem>_segmentation.png``: the mask, 0/255, one channel, at
      the image's size (the ISIC ground-truth format);
    * ``overlays/<stem>.jpg``: the Fig. 4 style drawing.

    Image files are written atomically. Use as a context manager.
    """

    def __init__(self, out_dir: Union[str, Path]) -> None:
        self.out_dir = Path(out_dir)
        self.mask_dir = self.out_dir / 'masks'
        self.overlay_dir = self.out_dir / 'overlays'
        self.mask_dir.mkdir(parents=True, exist_ok=True)
        self.overlay_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.out_dir / 'predictions.csv'
        self._file = open(self.csv_path, 'w', newline='')
        self._csv = csv.writer(self._file)
        self._csv.writerow(CSV_COLUMNS)
        self._file.flush()

    def write(self, image_name: str, image: np.ndarray, pred: LesionPrediction,
              gt_mask: Optional[np.ndarray] = None) -> None:
        """Write the mask, the overlay and the CSV row of one image."""
        if pred.mask.shape != image.shape[:2]:
            raise ValueError(f'{image_name}: predicted mask is {pred.mask.shape}, expected the '
                             f'image size {image.shape[:2]}')
        stem = Path(image_name).stem
        mask_path = self.mask_dir / f'{stem}_segmentation.png'
        _write_atomic(mask_path, _encode(mask_path, pred.mask.astype(np.uint8) * 255))
        overlay = draw_lesion_overlay(
            image, pred.mask, pred.p_malignant, pred.label,
            bbox=pred.bbox if pred.detected else None, gt_mask=gt_mask)
        overlay_path = self.overlay_dir / f'{stem}.jpg'
        _write_atomic(overlay_path,
                      _encode(overlay_path, overlay, (cv2.IMWRITE_JPEG_QUALITY, 95)))
        box = [f'{v:.1f}' for v in pred.bbox] if pred.detected else [''] * 4
        self._csv.writerow([image_name, f'{pred.p_malignant:.6f}', pred.label_name,
                            f'{pred.score:.6f}', *box, pred.area, pred.detected])
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> 'LesionResultWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
                  report: Callable[[str], None] = _report_stderr) -> InferenceSummary:
    """Predict the lesion of every image and write the results.

    A file that is not a usable image is reported (one line naming it and
    the problem) and skipped; the others are still processed and what was
    written stays. See :class:`LesionResultWriter` for the outputs.

    Args:
        model: from :func:`init_lesion_model`.
        images: e.g. from :func:`list_images`. Two images with the same name
            stem would write the same files: the later one is skipped.
        out_dir: output folder, created if needed; an existing
            ``predictions.csv`` is replaced.
        gt_dir: optional folder of ground-truth masks
            (:data:`GT_MASK_SUFFIXES`), drawn in black on the overlays. An
            image without a usable one is reported and drawn without it.
        progress: show a progress bar when there are several images.
        report: receives the report lines (default: stderr, under the bar).
    """
    if gt_dir is not None and not Path(gt_dir).is_dir():
        raise FileNotFoundError(f'{gt_dir}: ground-truth mask folder does not exist')
    pipeline = build_test_pipeline(model.cfg)
    summary = InferenceSummary()
    first_of_stem = {}
    with LesionResultWriter(out_dir) as writer:
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
            except ImageReadError as err:
                summary.failed.append((path, err.problem))
                report(f'skipped {err}')
                continue
            first_of_stem[path.stem] = path
            gt_mask = None
            if gt_dir is not None:
                gt_mask = _ground_truth(gt_dir, path, image.shape[:2], summary, report)
            writer.write(path.name, image, predict_lesion(model, image, pipeline), gt_mask)
            summary.processed += 1
    return summary


def _ground_truth(gt_dir: Union[str, Path], image_path: Path, shape: Tuple[int, int],
                  summary: InferenceSummary,
                  report: Callable[[str], None]) -> Optional[np.ndarray]:
    """The usable ground-truth mask of an image, or None after reporting why not."""
    gt_path = find_gt_mask(gt_dir, image_path.stem)
    if gt_path is None:
        names = ' or '.join(image_path.stem + suffix for suffix in GT_MASK_SUFFIXES)
        problem = f'{gt_dir}: no {names}'
    else:
        try:
            return read_gt_mask(gt_path, shape)
        except ImageReadError as err:
            problem = str(err)
    summary.gt_problems.append((image_path, problem))
    report(f'ground truth not drawn for {image_path.name}: {problem}')
    return None
