"""How many CPU threads torch's intra-op pool gets: the cores this process may run on, unless told.

The order: an explicit count (`segstudio train --threads N`), else `OMP_NUM_THREADS` when it holds a
whole number (torch reads it at start-up too; setting it again keeps one rule for every caller), else
the cores in the process's CPU affinity mask (`os.sched_getaffinity`: a container or `taskset` may
allow fewer than `os.cpu_count()` reports), shared among the processes of a torchrun job.

The load average is deliberately not consulted: it trails the present by a minute or more, so a
run started right after another one finished dropped to one thread (unet trained at 2.39 img/s
against 3.81 with both cores; docs/training.md#cpu-threads).

Contract: standard library only (the GUI imports this on its first frame).
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from segmodels.errors import SegError


def usable_cores() -> int:
    """The cores this process may be scheduled on (at least one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def _from_environment(environ: Mapping[str, str]) -> int | None:
    """OMP_NUM_THREADS as a count, or None when unset or not a positive whole number ("4,2" nests
    OpenMP levels: the first is the one torch's pool uses)."""
    value = environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def thread_count(explicit: int | None = None, *, world_size: int = 1,
                 environ: Mapping[str, str] | None = None) -> int:
    """Threads for torch: `explicit`, else OMP_NUM_THREADS, else this process's share of its usable cores."""
    if explicit is not None:
        if explicit < 1:
            raise SegError(f"--threads must be at least 1, got {explicit}.")
        return explicit
    from_env = _from_environment(os.environ if environ is None else environ)
    if from_env is not None:
        return from_env
    return max(1, usable_cores() // max(1, world_size))
