"""torch's thread count for CPU inference."""
import pytest
import torch

from mmskin.apis import ConfigError, apply_cpu_threads


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures('restore_threads')
def test_cpu_threads_one_on_small_machines_unless_given(monkeypatch):
    monkeypatch.setattr('os.cpu_count', lambda: 2)
    assert apply_cpu_threads(None, 'cpu') == 1 == torch.get_num_threads()
    assert apply_cpu_threads(2, 'cpu') == 2 == torch.get_num_threads()
    torch.set_num_threads(2)
    assert apply_cpu_threads(None, 'cuda:0') == 2  # the GPU's host threads are left alone
    monkeypatch.setattr('os.cpu_count', lambda: 16)
    assert apply_cpu_threads(None, 'cpu') == 2  # torch's own choice stays
    with pytest.raises(ConfigError, match='--cpu-threads 0'):
        apply_cpu_threads(0, 'cpu')
