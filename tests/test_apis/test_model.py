"""Building the lesion model and its test pipeline; predicting one photo."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from mmskin.apis import ConfigError, build_test_pipeline, init_lesion_model, predict_lesion
from mmskin.utils import CheckpointMismatchError

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/isic/mask_rcnn_r50_fpn_focaljac.py'


def test_build_test_pipeline_has_no_annotation_loading(photos):
    cfg = Config.fromfile(str(CONFIG))
    assert any('LoadAnnotations' in step['type'] for step in cfg.test_pipeline)
    pipeline = build_test_pipeline(cfg)
    names = [type(t).__name__ for t in pipeline.transforms]
    assert names[0] == 'LoadImageFromNDArray' and 'LoadAnnotations' not in names
    out = pipeline(dict(img=photos.photo(300, 500), img_id=0))
    assert out['inputs'].shape == (3, 1024, 1024)
    assert out['data_samples'].ori_shape == (300, 500)


def test_init_lesion_model_and_predict_lesion(photos, model_files, tmp_path):
    model = init_lesion_model(model_files.config, model_files.checkpoint, 'cpu')
    pred = predict_lesion(model, photos.photo(37, 81))
    assert pred.mask.shape == (37, 81) and pred.mask.dtype == bool
    assert pred.bbox.shape == (4,) and 0.0 <= pred.p_malignant <= 1.0
    assert pred.pred_label == int(pred.p_malignant > 0.5)
    record = pred.to_record('x')
    assert record.image_id == 'x' and record.area == pred.mask.sum()
    assert record.pred_label == pred.pred_label and record.detected == pred.detected

    with pytest.raises(FileNotFoundError, match='no such checkpoint file'):
        init_lesion_model(model_files.config, tmp_path / 'missing.pth')
    partial = dict(model_files.state_dict)
    partial.pop(next(iter(partial)))
    save_checkpoint(partial, str(tmp_path / 'partial.pth'))
    with pytest.raises(CheckpointMismatchError, match='partial.pth: the weights do not belong'):
        init_lesion_model(model_files.config, tmp_path / 'partial.pth')
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match='CUDA is not available'):
            init_lesion_model(model_files.config, model_files.checkpoint, 'cuda:0')
