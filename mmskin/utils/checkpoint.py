"""Loading mmengine checkpoints under torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True`` by default. mmengine 0.10.7 calls
``torch.load`` without the argument, and its own checkpoints pickle the
runner's ``MessageHub`` (``HistoryBuffer`` objects whose bound methods are
stored through ``builtins.getattr``), so ``--resume`` and ``load_from`` of an
mmengine checkpoint fail. Allow-listing ``getattr`` would let any file run
code, so instead:

* every checkpoint is first loaded with ``weights_only=True``;
* only if that fails, and the file is one the user named (``load_from``,
  ``--resume``, the checkpoint argument of the test/inference tools, or a
  checkpoint inside the run's own work directory), it is loaded in full;
* any other file that needs more than weights (e.g. a pretrained model named
  in a config's ``init_cfg``) raises :class:`UntrustedCheckpointError`
  naming the file.

:func:`trust_checkpoint` marks a file, URL or folder as named by the user.
The loaders for local paths and http(s) URLs serve mmengine's
``CheckpointLoader`` only inside :func:`checkpoint_loaders`, which mmskin's
runner (:class:`~mmskin.engine.LesionRunner`: train, validation, test) and
inference (:func:`~mmskin.apis.init_lesion_model`) enter; importing
:mod:`mmskin` leaves mmengine's own loaders in place.

Every checkpoint a run writes carries a hash of its tensors (the model's
and the optimizer's) in ``meta['content_sha256']`` (:func:`add_content_hash`,
called by :class:`~mmskin.engine.AtomicCheckpointHook`). Every load through
these loaders (``load_from``, ``--resume``, the tools' checkpoint argument)
recomputes it: a file whose bits changed after it was written is refused
with :class:`CheckpointIntegrityError` naming it, instead of training or
testing on damaged weights. Checkpoints without the hash (e.g. downloaded
pretrained weights) load as before.
"""
import hashlib
import os
import os.path as osp
import pickle
import zipfile
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Set, Tuple
from urllib.parse import urlparse

import torch
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from .upstream_private import checkpoint_schemes

_trusted: Set[str] = set()


#: Key in a checkpoint's ``meta`` holding the hash of its tensors.
CONTENT_HASH_KEY = 'content_sha256'
#: The parts of a checkpoint whose tensors are hashed.
HASHED_PARTS = ('state_dict', 'optimizer')


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint holds Python objects and was not named by the user."""


class CheckpointIntegrityError(ValueError):
    """A checkpoint file that is damaged: it does not load, or its tensors do
    not match the hash written with them."""


def _tensors(node: Any, where: str) -> Iterator[Tuple[str, torch.Tensor]]:
    """Every tensor under ``node`` with its path, in a fixed order."""
    if isinstance(node, torch.Tensor):
        yield where, node
    elif isinstance(node, dict):
        for key in sorted(node, key=str):
            yield from _tensors(node[key], f'{where}/{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _tensors(value, f'{where}/{index}')


def content_hash(checkpoint: dict) -> str:
    """SHA-256 of the name, dtype, shape and bytes of every tensor in the
    checkpoint's ``state_dict`` and ``optimizer`` (on any device)."""
    digest = hashlib.sha256()
    for part in HASHED_PARTS:
        for where, tensor in _tensors(checkpoint.get(part), part):
            data = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
            digest.update(f'{where}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
            digest.update(data.numpy().tobytes())
    return digest.hexdigest()


def add_content_hash(checkpoint: dict) -> None:
    """Store :func:`content_hash` in ``checkpoint['meta']``, before saving."""
    checkpoint.setdefault('meta', {})[CONTENT_HASH_KEY] = content_hash(checkpoint)


def verify_content_hash(checkpoint: Any, filename: str) -> None:
    """Raise :class:`CheckpointIntegrityError` if ``checkpoint`` carries a
    hash that its tensors do not match."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    expected = meta.get(CONTENT_HASH_KEY) if isinstance(meta, dict) else None
    if expected is None:
        return
    if content_hash(checkpoint) != expected:
        raise CheckpointIntegrityError(
            f'{filename}: the checkpoint is damaged: its weights do not match the hash '
            'written with them (the file changed after it was saved); use another checkpoint')


def _key(path: str) -> str:
    if path.startswith(('http://', 'https://')):
        return path
    return osp.realpath(osp.expanduser(path))


def trust_checkpoint(path: Optional[str]) -> None:
    """Allow a checkpoint file, URL, or every file under a folder, to be
    loaded in full (not only its tensors). ``None`` is ignored."""
    if path:
        _trusted.add(_key(str(path)))


def is_trusted(path: str) -> bool:
    """Whether ``path`` (or a folder holding it) was passed to
    :func:`trust_checkpoint`."""
    key = _key(path)
    return any(key == t or key.startswith(t.rstrip(os.sep) + os.sep) for t in _trusted)


def _damaged(filename: str, err: Exception) -> CheckpointIntegrityError:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if not zipfile.is_zipfile(filename):
        reason = 'not a zip archive'
    return CheckpointIntegrityError(f'{filename}: not a readable checkpoint, the file is '
                                    f'damaged or not a torch checkpoint ({reason})')


def load_checkpoint_file(filename: str, map_location: Any = None, *,
                         trusted: bool = False) -> Any:
    """``torch.load`` that keeps ``weights_only=True`` unless the file is
    trusted (see the module docstring), and checks the content hash.

    Raises:
        UntrustedCheckpointError: the file needs a full load and is not trusted.
        CheckpointIntegrityError: the file does not load, or its tensors do
            not match its hash.
    """
    try:
        checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if not zipfile.is_zipfile(filename):  # torch has saved zip archives since 1.6
            raise _damaged(filename, err) from err
        if not (trusted or is_trusted(filename)):
            raise UntrustedCheckpointError(
                f'{filename}: the checkpoint holds Python objects besides tensors, so '
                'torch refuses it with weights_only=True. Load it only if you trust it: '
                'name it as load_from / --resume / the checkpoint argument, or call '
                'mmskin.utils.trust_checkpoint() on it.') from err
        print_log(f'{filename}: loading a trusted mmengine checkpoint in full '
                  '(weights_only=False)', logger='current')
        try:
            checkpoint = torch.load(filename, map_location=map_location, weights_only=False)
        except Exception as err:  # any damage: zip, pickle or tensor records
            raise _damaged(filename, err) from err
    except (FileNotFoundError, IsADirectoryError):
        raise
    except Exception as err:  # any damage: zip, pickle or tensor records
        raise _damaged(filename, err) from err
    verify_content_hash(checkpoint, filename)
    return checkpoint


def _load_from_local(filename: str, map_location: Any = None) -> Any:
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_checkpoint_file(filename, map_location)


def _download(url: str, model_dir: Optional[str]) -> str:
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.exists(cached):
        print_log(f'Downloading {url} to {cached}', logger='current')
        torch.hub.download_url_to_file(url, cached, progress=False)
    return cached


def _load_from_http(filename: str, map_location: Any = None,
                    model_dir: Optional[str] = None, progress: bool = False) -> Any:
    # As mmengine's loader: rank 0 downloads first, the others then read the
    # cached file.
    rank, world_size = get_dist_info()
    if rank == 0:
        cached = _download(filename, model_dir)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            cached = _download(filename, model_dir)
    return load_checkpoint_file(cached, map_location, trusted=is_trusted(filename))


#: mmskin's loader of each ``CheckpointLoader`` prefix ('': any local path).
LOADERS = {'': _load_from_local, 'http://': _load_from_http, 'https://': _load_from_http}


@contextmanager
def checkpoint_loaders() -> Iterator[None]:
    """Load checkpoints by the rules above while the block runs: mmskin's
    loaders replace mmengine's for local paths and http(s) URLs, and the
    previous ones are back afterwards (a loader registered meanwhile by
    someone else is kept). Blocks may nest."""
    previous = {prefix: checkpoint_schemes().get(prefix) for prefix in LOADERS}
    for prefix, loader in LOADERS.items():
        CheckpointLoader.register_scheme(prefixes=prefix, loader=loader, force=True)
    try:
        yield
    finally:
        for prefix, loader in LOADERS.items():
            if checkpoint_schemes().get(prefix) is not loader:
                continue
            if previous[prefix] is None:
                del checkpoint_schemes()[prefix]
            else:
                CheckpointLoader.register_scheme(prefixes=prefix, loader=previous[prefix],
                                                 force=True)
