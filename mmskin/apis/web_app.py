"""The local web page of ``tools/app.py``: drop dermoscopy photos, see what
the model sees.

For each uploaded photo the page shows the Fig. 4 overlay, ``p_malignant``
with its label at 0.5 and, when the app is given one, at the run's
operating point, the lesion box, the ABCD features of the predicted mask and
the saliency map of the malignancy call (:func:`~mmskin.apis.lesion_cam`);
it offers the mask PNG and the photos' ``predictions.csv`` rows for
download. Each value is computed by :func:`~.photo_analysis.analyse_photo`,
the code ``tools/infer.py`` runs, and each number is shown as
``predictions.csv`` writes it. A file that is not a usable photo gets a
one-line message on the page; the others are still analysed and the server
keeps serving.
"""
import html
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import gradio as gr
import numpy as np
import torch.nn as nn

from mmskin.evaluation import ABCD_COLUMNS, prediction_columns
from mmskin.utils import ISIC_CLASSES, ISICFileError, mask_file_name, write_csv_atomic
from .model import build_test_pipeline
from .photo_analysis import PhotoAnalysis, analyse_photo
from .result_writer import encode_mask_png

#: Columns of the page's table of predictions, after the photo's name.
_PREDICTION_CELLS = ('p_malignant', 'pred_label', 'score', 'x0', 'y0', 'x1', 'y1')
_INTRO = ('Drop one or more dermoscopy photos (JPEG, PNG, BMP, any size). Each gets the '
          'predicted lesion contour (red), box and probability of malignancy drawn as in the '
          "paper's Fig. 4, the Grad-CAM map of the malignancy call (red: what raised the "
          "malignant score of the lesion's box), the ABCD features of the predicted lesion "
          'and, to download, its mask and its predictions.csv row.')


def label_name(p_malignant: float, threshold: float) -> str:
    """The class a probability gets at a threshold (malignant iff p > threshold,
    the ISIC rule)."""
    return ISIC_CLASSES[int(p_malignant > threshold)]


def _rgb(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _cell(css_class: str, text: str) -> str:
    return f'<td class="{css_class}">{html.escape(text)}</td>'


def _header(names: Sequence[str]) -> str:
    return '<tr>' + ''.join(f'<th>{html.escape(n)}</th>' for n in names) + '</tr>'


class LesionWebApp:
    """The page's logic, testable without a browser: :meth:`analyse` is what
    an upload runs, :meth:`build` lays out the ``gr.Blocks``.

    Args:
        model: from :func:`init_lesion_model`.
        threshold: the run's operating point, when known: the page then
            also gives the label at it.
    """

    def __init__(self, model: nn.Module, threshold: Optional[float] = None) -> None:
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f'threshold must be in [0, 1], got {threshold}')
        self.model = model
        self.threshold = threshold
        self.pipeline = build_test_pipeline(model.cfg)
        self.columns = prediction_columns(abcd=True)
        # Gradio copies the files it offers into its own cache; these go
        # when the app does.
        self._downloads_root = tempfile.TemporaryDirectory(prefix='mmskin-app-')

    def analyse(self, paths: Optional[Sequence[str]]
                ) -> Tuple[List[Tuple[np.ndarray, str]], str, List[str]]:
        """Analyse uploaded photos.

        Returns:
            ``(gallery, results, downloads)``: the overlays as ``(RGB array,
            caption)``, the results as an HTML fragment (tables and
            problems) and the paths of the files offered for download.
        """
        analyses: List[PhotoAnalysis] = []
        problems: List[str] = []
        seen: Dict[str, str] = {}
        for path in paths or ():
            name = Path(path).name
            if Path(path).stem in seen:
                problems.append(f'{name}: same name as {seen[Path(path).stem]}; rename one')
                continue
            seen[Path(path).stem] = name
            try:
                analyses.append(analyse_photo(self.model, path, self.pipeline))
            except ISICFileError as error:
                problems.append(f'{name}: {error.problem}')
            except Exception as error:  # a bug shown in one line: the app keeps serving
                problems.append(f'{name}: could not be analysed ({type(error).__name__}: {error})')
        gallery = []
        for analysis in analyses:
            gallery.append((_rgb(analysis.overlay), f'{analysis.image_id}: overlay'))
            if analysis.saliency is not None:
                gallery.append((_rgb(analysis.saliency), f'{analysis.image_id}: saliency'))
            else:
                problems.append(f'{analysis.image_id}: no saliency map '
                                f'({analysis.saliency_problem})')
        return gallery, self.results_html(analyses, problems), self._downloads(analyses)

    def _downloads(self, analyses: Sequence[PhotoAnalysis]) -> List[str]:
        if not analyses:
            return []
        out_dir = Path(tempfile.mkdtemp(dir=self._downloads_root.name))
        files = []
        for analysis in analyses:
            path = out_dir / mask_file_name(analysis.image_id)
            path.write_bytes(encode_mask_png(analysis.prediction.mask))
            files.append(str(path))
        csv_path = out_dir / 'predictions.csv'
        write_csv_atomic(csv_path, self.columns, [a.row for a in analyses])
        return [str(csv_path)] + files

    def results_html(self, analyses: Sequence[PhotoAnalysis], problems: Sequence[str]) -> str:
        """The tables of predictions and ABCD features, and the problems."""
        parts = []
        if problems:
            parts.append('<ul class="problems">' + ''.join(
                f'<li class="problem">{html.escape(p)}</li>' for p in problems) + '</ul>')
        if not analyses:
            return ''.join(parts)
        at = [f'label at {self.threshold:g}'] if self.threshold is not None else []
        rows = [_header(['photo', 'p_malignant', 'label at 0.5', *at, 'detection score',
                         'box x0, y0, x1, y1'])]
        for analysis in analyses:
            cells = dict(zip(self.columns, analysis.row))
            detected = analysis.prediction.detected
            p = analysis.prediction.p_malignant
            label = ISIC_CLASSES[int(cells['pred_label'])] if detected else 'no lesion detected'
            at_threshold = [_cell('label-threshold', label_name(p, self.threshold) if detected
                                  else label)] if self.threshold is not None else []
            box = ', '.join(cells[k] for k in ('x0', 'y0', 'x1', 'y1')) if detected else '-'
            rows.append(f'<tr data-image-id="{html.escape(analysis.image_id)}">' +
                        _cell('image-id', analysis.image_id) +
                        _cell('p-malignant', cells['p_malignant']) + _cell('label', label) +
                        ''.join(at_threshold) + _cell('score', cells['score']) +
                        _cell('box', box) + '</tr>')
        parts.append('<table class="predictions">' + ''.join(rows) + '</table>')
        rows = [_header(['photo', *ABCD_COLUMNS])]
        for analysis in analyses:
            cells = dict(zip(self.columns, analysis.row))
            rows.append('<tr>' + _cell('image-id', analysis.image_id) + ''.join(
                _cell(name.replace('_', '-'), cells[name] or 'n/a') for name in ABCD_COLUMNS) +
                '</tr>')
        # A wide table scrolls rather than spilling over the page.
        parts.append('<h3>ABCD features of the predicted lesion</h3><div style="overflow-x:auto">'
                     '<table class="abcd">' + ''.join(rows) + '</table></div>')
        return ''.join(parts)

    def build(self) -> gr.Blocks:
        """The page: an upload field, the overlays, the tables, the downloads."""
        # No telemetry; the copies of an hour-old upload's files are deleted hourly.
        with gr.Blocks(title='mmskin: skin lesion analysis', analytics_enabled=False,
                       delete_cache=(3600, 3600)) as page:
            gr.Markdown('## Skin lesion analysis\n' + _INTRO)
            photos = gr.File(file_count='multiple', label='Photos', elem_id='photos')
            gallery = gr.Gallery(label='Overlays (paper Fig. 4) and saliency maps',
                                 elem_id='overlays',
                                 columns=2, height=520, object_fit='contain')
            results = gr.HTML(elem_id='results')
            downloads = gr.File(file_count='multiple', label='Masks and predictions.csv',
                                elem_id='downloads', interactive=False)
            photos.upload(self.analyse, photos, [gallery, results, downloads])
        return page
