"""Everything the web app shows of one uploaded photo, computed by the
functions that ``tools/infer.py`` uses (with ``--abcd --cam``), so that the
page and the files agree to the last digit."""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np
import torch.nn as nn
from mmcv.transforms import Compose

from mmskin.analysis.abcd import abcd_features
from mmskin.utils import check_image_id, read_image
from mmskin.visualization import draw_saliency
from .errors import ConfigError
from .predict import LesionPrediction, predict_lesion
from .result_writer import draw_prediction
from .saliency import lesion_cam


@dataclass(frozen=True)
class PhotoAnalysis:
    """One photo's prediction and what is drawn and written of it.

    Attributes:
        image_id: the file name without its extension.
        image: the BGR uint8 photo as the model saw it.
        prediction: from :func:`predict_lesion`.
        features: the ABCD features of the predicted mask
            (:func:`mmskin.analysis.abcd.abcd_features`).
        overlay: the Fig. 4 drawing (BGR), as ``tools/infer.py`` writes it.
        row: the photo's ``predictions.csv`` row with the ABCD columns.
        saliency: the Grad-CAM map of the malignancy call drawn on the photo
            (:func:`lesion_cam`, :func:`draw_saliency`), None when the model
            has none to give.
        saliency_problem: why there is no map.
    """
    image_id: str
    image: np.ndarray
    prediction: LesionPrediction
    features: Dict[str, float]
    overlay: np.ndarray
    row: List[str]
    saliency: Optional[np.ndarray]
    saliency_problem: str = ''


def analyse_photo(model: nn.Module, path: Union[str, Path],
                  pipeline: Optional[Compose] = None) -> PhotoAnalysis:
    """Read a photo, predict its lesion and measure its ABCD features.

    Raises:
        ISICFileError: the file is not a usable image, or its name cannot
            name the output files.
    """
    path = Path(path)
    image_id = check_image_id(path.stem, path)
    image = read_image(path)
    prediction = predict_lesion(model, image, pipeline)
    features = abcd_features(image, prediction.mask)
    saliency, saliency_problem = None, ''
    try:
        saliency = draw_saliency(image, lesion_cam(model, image, prediction, pipeline=pipeline))
    except ConfigError as error:  # e.g. a model without a malignant logit: the rest stands
        saliency_problem = str(error)
    return PhotoAnalysis(
        image_id=image_id, image=image, prediction=prediction, features=features,
        overlay=draw_prediction(image, prediction),
        row=prediction.to_record(image_id).cells(features), saliency=saliency,
        saliency_problem=saliency_problem)
