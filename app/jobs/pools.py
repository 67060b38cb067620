"""The thread pools background jobs run on, in one place.

Each kind of work has its own pool so that one kind never queues behind another. Qt's global pool
has as many threads as cores (2 on a small laptop): an image load used to wait there behind a
project validation and the thumbnail decoder. Here:

- `Pool.IMAGES`: opening a large image, one thread. The user is waiting for it; a newer load
  supersedes an older one, so one thread is enough and nothing else ever occupies it.
- `Pool.MODEL`: the backend load, checkpoint inspection, prediction, ranking and training, two
  threads: one training run and one prediction (the model dock runs one job at a time).
- `Pool.CHECKS`: validation and export, one thread each at a time (each screen runs one job).
- `Pool.PROMPTS`: a smart tool's mask for a box and clicks (GrabCut), one thread: the user waits
  for the newest prompt's mask, and an older one is dropped when it arrives.
- `Pool.THUMBNAILS`: decoding the image list's thumbnails, one thread at low OS priority, so it
  takes only the time the GUI and the jobs above leave.

Pools are made on first use and live as long as the process; at exit Qt waits for them, by which
time every job has been cancelled (`app.jobs.slot.cancel_all`).
"""
from __future__ import annotations

import enum

from PySide6.QtCore import QThread, QThreadPool


class Pool(enum.Enum):
    IMAGES = "images"
    MODEL = "model"
    CHECKS = "checks"
    THUMBNAILS = "thumbnails"
    PROMPTS = "prompts"


_THREADS = {Pool.IMAGES: 1, Pool.MODEL: 2, Pool.CHECKS: 2, Pool.THUMBNAILS: 1, Pool.PROMPTS: 1}
_POOLS: dict[Pool, QThreadPool] = {}


def pool(kind: Pool) -> QThreadPool:
    """The pool for `kind` of work (made on first use)."""
    found = _POOLS.get(kind)
    if found is None:
        found = QThreadPool()
        found.setObjectName(f"segstudio-{kind.value}")
        found.setMaxThreadCount(_THREADS[kind])
        if kind is Pool.THUMBNAILS:
            found.setThreadPriority(QThread.Priority.LowPriority)
        _POOLS[kind] = found
    return found
