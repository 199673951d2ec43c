"""A CheckpointHook whose files are never seen half-written, damaged or
holding non-finite weights."""
import glob
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmdet.registry import HOOKS
from mmskin.utils import add_content_hash, write_bytes_atomic

#: Suffix of a checkpoint while it is being written.
PARTIAL_SUFFIX = '.part'


class NonFiniteWeightsError(RuntimeError):
    """A checkpoint about to be written holds NaN or infinite weights."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written in full (full disk, no permission)."""


def _non_finite(state_dict: dict) -> list:
    """Names of the floating-point tensors holding a NaN or an infinity."""
    return [name for name, value in state_dict.items()
            if torch.is_tensor(value) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())]


def _fsync(path: str) -> None:
    with open(path, 'rb') as f:
        os.fsync(f.fileno())


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` made safe against a kill at any moment.

    mmengine writes ``iter_N.pth`` in place, then the ``last_checkpoint``
    pointer in place, and removes the oldest kept checkpoint *before*
    writing the new one. A job killed (pre-empted, out of time) in the
    middle leaves a truncated ``.pth``, or a pointer that is empty or names
    a deleted file, and ``--resume`` then fails or loads garbage. This hook
    writes each checkpoint as ``iter_N.pth.part`` and renames it once it is
    complete and on disk, rewrites the pointer the same way, and only then
    removes the checkpoint that fell out of ``max_keep_ckpts``. Whenever the
    job dies, ``last_checkpoint`` names a complete checkpoint (or does not
    exist yet). Leftover ``.part`` files of a killed run are removed when
    training starts again.

    Arguments are those of :class:`mmengine.hooks.CheckpointHook`. Only
    checkpoints on local disk are made atomic; with another storage backend
    the hook behaves as mmengine's. Best checkpoints (``save_best``) are
    written as mmengine does: ``--resume`` does not use them.
    """

    #: The checkpoint being written, for messages.
    _target: Optional[str] = None

    def before_train(self, runner) -> None:
        """Set up as mmengine does, then remove partial files left behind
        by a run killed while writing."""
        super().before_train(runner)
        if self._is_local() and is_main_process():
            pattern = osp.join(self.out_dir, self.filename_tmpl.format('*'))
            for partial in glob.glob(pattern + PARTIAL_SUFFIX):
                runner.logger.warning(
                    f'Removing {partial}: a checkpoint that an earlier run '
                    'did not finish writing.')
                os.remove(partial)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse non-finite weights, then add the content hash (the hook
        runs last: ``VERY_LOW`` priority, after any hook that edits the dict)."""
        bad = _non_finite(checkpoint.get('state_dict', {}))
        if bad:
            iteration = checkpoint.get('meta', {}).get('iter', runner.iter)
            raise NonFiniteWeightsError(
                f'{self._target or "checkpoint"}: not written: after iteration {iteration} the '
                f'weights are not finite ({len(bad)} tensors hold NaN or infinite values, e.g. '
                f'{bad[0]}); the checkpoints in {runner.work_dir} are kept. Resume from the '
                'last one with a lower learning rate or stronger gradient clipping '
                '(optim_wrapper.clip_grad).')
        add_content_hash(checkpoint)

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._is_local():
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        outdated = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            # Saved inside the checkpoint: a resumed run keeps deleting in
            # the same order.
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        partial = self.last_ckpt + PARTIAL_SUFFIX
        self._target = self.last_ckpt
        try:
            # Writes on the main process only (Runner.save_checkpoint is
            # master_only).
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename + PARTIAL_SUFFIX,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
            if is_main_process():
                _fsync(partial)
        except (OSError, RuntimeError) as err:
            if isinstance(err, NonFiniteWeightsError):
                raise
            if osp.exists(partial):
                os.remove(partial)
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
            raise CheckpointWriteError(
                f'{self.last_ckpt}: cannot write the checkpoint ({reason}); the earlier '
                f'checkpoints in {self.out_dir} are kept') from err
        finally:
            self._target = None
        if not is_main_process():
            return
        os.replace(partial, self.last_ckpt)
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        write_bytes_atomic(pointer, self.last_ckpt.encode(), partial=pointer + PARTIAL_SUFFIX)
        if outdated is not None:
            path = osp.join(self.out_dir, self.filename_tmpl.format(outdated))
            if osp.isfile(path):
                os.remove(path)
