"""mmdet's raw-prediction dump (``tools/test.py --out``), written whole or
not at all."""
from mmdet.evaluation import DumpDetResults
from mmdet.registry import METRICS
from mmengine.fileio import dump
from mmengine.logging import print_log

from mmskin.utils import write_bytes_atomic


@METRICS.register_module()
class AtomicDumpDetResults(DumpDetResults):
    """:class:`mmdet.evaluation.DumpDetResults` (instance masks as RLE, the
    same pickle), written through :func:`mmskin.utils.write_bytes_atomic`:
    a run killed or a disk filled while it is written leaves the previous
    file as it was, never a truncated pickle."""

    def compute_metrics(self, results: list) -> dict:
        write_bytes_atomic(self.out_file_path, dump(results, file_format='pkl'))
        print_log(f'raw predictions written to {self.out_file_path}', logger='current')
        return {}
