"""benchmarks/roi_align.py in its smoke mode: a small input, one repeat."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_roi_align_benchmark_prints_both_and_their_difference():
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'benchmarks/roi_align.py', '--repeats', '1',
                           '--size', '64', '--channels', '8'], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {line.split('|')[1].strip(): [cell.strip() for cell in line.split('|')[2:-1]]
            for line in proc.stdout.splitlines()
            if line.startswith('| ') and not line.startswith('| case')}
    assert set(rows) == {'box, training', 'mask, training', 'box, inference'}, proc.stdout
    assert rows['box, inference'][0] == '1000' and rows['mask, training'][0] == '32'
    for rois, time_a, time_b, ratio, difference in rows.values():
        assert float(time_a) > 0 and float(time_b) > 0
        assert float(ratio.rstrip('x')) > 0
        # the two layers compute the same RoIAlign
        assert float(difference) < 1e-4, proc.stdout
