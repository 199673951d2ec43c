"""Whether a checkpoint's weights belong to the model: one loading rule for
``tools/test.py``, ``tools/infer.py``, ``load_from`` and ``--resume``.

mmengine's ``load_from`` and ``--resume`` load non-strictly (a layer the
checkpoint lacks or holds in another shape keeps its random initialisation,
with a warning in the log), and a NaN weight loads like any other. Here a
checkpoint is refused, naming the file, when

* a weight of the model is missing from it, it holds a weight the model does
  not have, or a weight of another shape, beyond a declared allowance
  (``reinit``: layer names whose weights may be missing or of another shape;
  they keep their initialisation). Only ``load_from`` when training takes one,
  from the config's ``load_from_reinit`` (the model's base config names the
  layers whose shape follows ``num_classes``, for the COCO initialisation);
  testing, inference and ``--resume`` take none;
* a weight it loads is not finite (NaN or infinite).

BatchNorm's ``num_batches_tracked`` counters may be missing: older
checkpoints lack them and mmengine ignores them too.
"""
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner.checkpoint import CheckpointLoader

from .checkpoint import checkpoint_loaders
from .isic_files import ISICFileError
from .upstream_private import load_checkpoint_to_model

#: mmengine's default: the prefix a DDP wrapper adds to every weight's name.
REVISE_KEYS = [(r'^module\.', '')]
#: Weights a checkpoint may lack whatever the allowance.
OPTIONAL_KEY = 'num_batches_tracked'


class CheckpointMismatchError(ISICFileError):
    """A checkpoint whose weights do not belong to the model, or are not finite."""


def checkpoint_state_dict(checkpoint: Any, filename: str,
                          revise_keys: Sequence[Tuple[str, str]] = REVISE_KEYS) -> Dict:
    """The weights of a loaded checkpoint, renamed as mmengine renames them."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, Mapping):
        raise CheckpointMismatchError(filename, 'holds no weights (expected a state_dict)')
    for pattern, replacement in revise_keys:
        state = {re.sub(pattern, replacement, key): value for key, value in state.items()}
    return state


def _listed(keys: List[str]) -> str:
    return ', '.join(keys[:3]) + (f' and {len(keys) - 3} more' if len(keys) > 3 else '')


def check_weights_fit(model: nn.Module, state_dict: Mapping[str, Any], filename: str,
                      reinit: Sequence[str] = ()) -> None:
    """Raise :class:`CheckpointMismatchError` unless ``state_dict`` fits
    ``model`` (see the module docstring).

    Args:
        model: the model (unwrapped).
        state_dict: the checkpoint's weights (:func:`checkpoint_state_dict`).
        filename: the checkpoint, for the message.
        reinit: names of layers (or their prefixes, ending at a ``.``) that
            may be missing or of another shape.
    """

    def allowed(key: str) -> bool:
        return any(key == name or key.startswith(name + '.') for name in reinit)

    own = model.state_dict()
    missing = [k for k in own if k not in state_dict and OPTIONAL_KEY not in k and not allowed(k)]
    unexpected = [k for k in state_dict if k not in own and not allowed(k)]
    reshaped = [k for k in own if k in state_dict and not allowed(k)
                and tuple(getattr(state_dict[k], 'shape', ())) != tuple(own[k].shape)]
    if missing or unexpected or reshaped:
        found = [f'{len(keys)} {what} ({_listed(keys)})' for keys, what in (
            (missing, 'weights of the model missing'), (unexpected, 'weights the model lacks'),
            (reshaped, 'of another shape')) if keys]
        raise CheckpointMismatchError(
            filename, 'the weights do not belong to the model: ' + '; '.join(found) +
            '. Was it trained with this config?')
    # Every weight that goes in, the allowed layers' too when their shape fits.
    non_finite = [k for k, v in state_dict.items()
                  if k in own and torch.is_tensor(v) and v.shape == own[k].shape
                  and v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if non_finite:
        raise CheckpointMismatchError(filename, f'{len(non_finite)} weights are not finite '
                                      f'(NaN or infinite): {_listed(non_finite)}')


def load_weights(model: nn.Module, filename: str, map_location: Any = 'cpu',
                 reinit: Sequence[str] = (),
                 revise_keys: Sequence[Tuple[str, str]] = REVISE_KEYS,
                 on_loaded: Optional[Callable[[dict], None]] = None) -> dict:
    """Load a checkpoint file into ``model`` if its weights fit
    (:func:`check_weights_fit`); returns the checkpoint.

    The file is read through mmskin's checkpoint loaders
    (:func:`~mmskin.utils.checkpoint_loaders`), ``on_loaded`` (the runner's
    ``after_load_checkpoint`` hooks) sees it before the check, and the weights
    go in as mmengine's ``Runner.load_checkpoint`` puts them
    (``_load_checkpoint_to_model``, non-strict: the allowed layers keep their
    initialisation).
    """
    if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module  # the weights are the wrapped model's, as mmengine loads them
    with checkpoint_loaders():
        checkpoint = CheckpointLoader.load_checkpoint(filename, map_location=map_location)
    if on_loaded is not None:
        on_loaded(checkpoint)
    check_weights_fit(model, checkpoint_state_dict(checkpoint, filename, revise_keys), filename,
                      reinit)
    return load_checkpoint_to_model(model, checkpoint, strict=False,
                                    revise_keys=list(revise_keys))
