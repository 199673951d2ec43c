"""What the CPU computes natively, read from the kernel's CPU flags."""
from pathlib import Path
from typing import FrozenSet

#: x86 flags of native bfloat16 arithmetic (AVX-512 BF16 on AMD Zen 4 and
#: Intel Cooper Lake on; AMX on Intel Sapphire Rapids on). Without them
#: oneDNN emulates bfloat16 and is slower than float32.
BF16_FLAGS = frozenset({'avx512_bf16', 'amx_bf16'})
CPUINFO = Path('/proc/cpuinfo')


def cpu_flags() -> FrozenSet[str]:
    """The flags of the first processor in /proc/cpuinfo; empty where the
    file does not exist or is unreadable (not Linux), so that callers fall
    back to what every CPU has."""
    try:
        text = CPUINFO.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith('flags'):
            return frozenset(line.split(':', 1)[1].split())
    return frozenset()


def cpu_bf16_flags() -> FrozenSet[str]:
    """The native bfloat16 flags this CPU has (:data:`BF16_FLAGS`)."""
    return cpu_flags() & BF16_FLAGS


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively."""
    return bool(cpu_bf16_flags())
