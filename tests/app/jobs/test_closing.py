"""Closing the window while jobs run: the GUI thread waits about 100 ms at most (training, which asks
first, is tested in tests/app/docks/test_training_dock.py), and the jobs then end on their own."""
from __future__ import annotations

import threading
import time

from app.jobs.slot import CLOSE_BUDGET_S
from support.projects import make_project

#: The whole closeEvent (hooks, bookkeeping) on a loaded 2-core machine, over the jobs' budget.
OVERHEAD_S = 0.25


def slow_job(release: threading.Event, started: threading.Event):
    """A fake job slow to stop: it ignores the cancel flag until released (or 10 s pass)."""
    def make(cancel):
        started.set()
        yield "working"
        release.wait(10)
        return "late"
    return make


def test_closing_with_slow_jobs_running_returns_within_the_budget(qtbot, messages, tmp_path):
    from app.startup.gui import create_window

    project = make_project(tmp_path / "proj", count=3)
    window = create_window(str(project.root))
    qtbot.addWidget(window)
    window.show()
    release = threading.Event()
    slots = [window.model_docks.model.job, window.label_docks.validation.job, window.image_list.thumbnail_job]
    for slot in slots:
        slot.discard()   # whatever the window started by itself (thumbnails)
    workers = []
    try:
        for slot in slots:
            started = threading.Event()
            assert slot.start(slow_job(release, started), winds_down=True)
            assert started.wait(5)
            workers.append(slot.worker)
        began = time.monotonic()
        assert window.close()
        elapsed = time.monotonic() - began
        assert elapsed < CLOSE_BUDGET_S + OVERHEAD_S, f"closing took {elapsed * 1000:.0f} ms"
        assert not any(w.is_done() for w in workers)   # really still running when the window closed
        assert messages.texts("ask") == []              # no training: nothing to ask
    finally:
        release.set()
    qtbot.waitUntil(lambda: all(w.is_done() for w in workers), timeout=5000)
