"""Issue 15 item 15: torch's thread count is the cores the process may use, unless told otherwise; a
stale load average never drops it (unet trained at 2.39 img/s on one thread against 3.81 on two)."""
from __future__ import annotations

import os

import pytest

from segmodels.errors import SegError
from segmodels.threads import thread_count, usable_cores


@pytest.fixture
def three_of_eight(monkeypatch):
    """A process allowed on 3 of a machine's 8 cores (taskset, a container's cpuset), which looks busy."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (40.0, 40.0, 40.0))  # stale or not, it must not matter
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_the_affinity_mask_decides_not_the_core_count_nor_the_load(three_of_eight):
    assert usable_cores() == 3
    assert thread_count() == 3
    assert thread_count(world_size=2) == 1  # torchrun: the processes share the cores
    assert thread_count(world_size=8) == 1


def test_without_an_affinity_call_every_core_counts(three_of_eight, monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity")
    assert usable_cores() == 8


def test_an_explicit_count_and_then_the_environment_win(three_of_eight, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "6")
    assert thread_count() == 6
    assert thread_count(2) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "4,2")  # nested OpenMP levels: the first is torch's pool
    assert thread_count() == 4
    for unusable in ("", "0", "many"):
        monkeypatch.setenv("OMP_NUM_THREADS", unusable)
        assert thread_count() == 3
    with pytest.raises(SegError, match="--threads must be at least 1, got 0"):
        thread_count(0)


def test_train_sets_the_count_before_it_trains(three_of_eight, monkeypatch, tmp_path):
    """The CLI reaches torch with the count: --threads, else OMP_NUM_THREADS, else the usable cores."""
    import torch

    import segmodels.training
    from segmodels.cli import main

    seen: list[int] = []

    def fit(config):
        seen.append(torch.get_num_threads())
        yield from ()

    monkeypatch.setattr(segmodels.training, "fit", fit)
    before = torch.get_num_threads()
    try:
        assert main(["train", str(tmp_path), "--arch", "unet", "--threads", "2"]) == 0
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert main(["train", str(tmp_path), "--arch", "unet"]) == 0
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert main(["train", str(tmp_path), "--arch", "unet"]) == 0
    finally:
        torch.set_num_threads(before)
    assert seen == [2, 1, 3]
