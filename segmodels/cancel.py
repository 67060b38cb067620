"""The one cancel type of every long job, in the GUI and on the command line.

A job takes `cancel: CancelFlag`, a callable that returns True once someone asked it to stop. The job
checks it between steps (files, batches, epochs) and winds down cleanly, leaving what it finished
intact. The GUI's workers pass their own flag; a job nobody can stop gets `never`. A threading.Event
is passed as `event.is_set`.
"""
from __future__ import annotations

from collections.abc import Callable

CancelFlag = Callable[[], bool]


def never() -> bool:
    """The flag of a job that runs to its end (the command line stops with Ctrl+C instead)."""
    return False
