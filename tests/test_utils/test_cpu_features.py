"""The CPU flag reader that chooses bfloat16 training."""
import mmskin.utils.cpu_features as cpu_features
from mmskin.utils import cpu_bf16_flags, cpu_has_bf16


def _write_cpuinfo(path, flags):
    path.write_text(f'processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {" ".join(flags)}\n\n'
                    f'processor\t: 1\nflags\t\t: {" ".join(flags)}\n')
    return path


def test_cpu_flag_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu_features, 'CPUINFO',
                        _write_cpuinfo(tmp_path / 'zen4', ['fpu', 'avx512f', 'avx512_bf16']))
    assert cpu_bf16_flags() == {'avx512_bf16'}
    assert cpu_has_bf16()
    # 'avx512bw' is not bfloat16, and a prefix of a flag is not the flag
    monkeypatch.setattr(cpu_features, 'CPUINFO',
                        _write_cpuinfo(tmp_path / 'skylake', ['avx512f', 'avx512bw', 'amx']))
    assert not cpu_has_bf16()
    monkeypatch.setattr(cpu_features, 'CPUINFO', tmp_path / 'missing')
    assert cpu_features.cpu_flags() == frozenset() and not cpu_has_bf16()
