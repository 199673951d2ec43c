"""IterationSeedHook: torch's random draws depend on the iteration only."""
from unittest.mock import MagicMock

import pytest
import torch

from mmskin.engine import IterationSeedHook
from mmskin.engine.hooks.iteration_seed_hook import iteration_seed


@pytest.fixture(autouse=True)
def keep_global_rng():
    """The hook seeds torch's global generator; other tests keep theirs."""
    with torch.random.fork_rng():
        yield


def draws_at(iteration: int, rank: int = 0, seed: int = 7) -> torch.Tensor:
    runner = MagicMock(seed=seed, rank=rank, iter=iteration)
    IterationSeedHook().before_train_iter(runner, batch_idx=iteration)
    return torch.randperm(1000)


def test_draws_depend_on_the_iteration_not_on_what_came_before():
    expected = draws_at(5)
    torch.rand(123)  # whatever an earlier iteration drew
    draws_at(4)
    assert torch.equal(draws_at(5), expected)


def test_iterations_ranks_and_seeds_get_different_draws():
    reference = draws_at(5)
    assert not torch.equal(draws_at(6), reference)
    assert not torch.equal(draws_at(5, rank=1), reference)
    assert not torch.equal(draws_at(5, seed=8), reference)


def test_seeds_fit_torch_and_accept_any_run_seed():
    seeds = {iteration_seed(seed, 0, 0) for seed in (0, 2**32 - 1, 2**63, -5)}
    assert len(seeds) == 4
    assert all(0 <= s < 2**63 for s in seeds)
