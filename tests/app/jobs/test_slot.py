"""The job slot: one lifecycle for every background job (start, busy, progress, cancel, done), and
the pools that keep an image load from queueing behind thumbnails or a validation."""
from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThreadPool

from app.jobs.pools import Pool, pool
from app.jobs.slot import CLOSE_BUDGET_S, JobSlot, StartPolicy, cancel_all
from segmodels.errors import SegError

WAIT_MS = 5000


@pytest.fixture
def slot(qtbot):
    own = QThreadPool()
    own.setMaxThreadCount(2)
    slot = JobSlot(own)
    yield slot
    if slot.worker is not None:
        slot.worker.cancel()
    own.waitForDone(5000)


def counting(n: int):
    def make(cancel):
        yield from range(n)
        return f"counted {n}"
    return make


def blocked(release: threading.Event, started: threading.Event | None = None):
    """A job that yields once, then waits for `release` (or the cancel flag) and returns."""
    def make(cancel):
        if started is not None:
            started.set()
        yield "waiting"
        while not release.wait(0.005):
            if cancel():
                return "cancelled summary"
        return "released"
    return make


def test_start_yields_returns_then_finishes_and_busy_toggles(slot, qtbot):
    events, busy = [], []
    slot.busy_changed.connect(busy.append)
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        assert slot.start(counting(3), on_yielded=lambda i: events.append(("yielded", i)),
                          on_returned=lambda r: events.append(("returned", r)),
                          on_finished=lambda: events.append(("finished", slot.is_busy())))
        assert slot.is_busy()
    assert events == [("yielded", 0), ("yielded", 1), ("yielded", 2), ("returned", "counted 3"),
                      ("finished", False)]   # on_finished runs with the slot idle already
    assert busy == [True, False] and not slot.is_busy() and not slot.was_cancelled


def test_a_job_started_from_on_finished_keeps_the_slot_busy(slot, qtbot):
    busy, returned = [], []
    slot.busy_changed.connect(busy.append)
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        slot.start(counting(1), on_finished=lambda: slot.start(counting(2), on_returned=returned.append))
    assert slot.is_busy() and busy == [True, True]   # no "idle" in between: the retry runs
    qtbot.waitUntil(lambda: not slot.is_busy(), timeout=WAIT_MS)
    assert returned == ["counted 2"] and busy == [True, True, False]


def test_progress_is_reported_for_mapped_items(slot, qtbot):
    progress = []
    slot.progress_changed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        slot.start(counting(3), progress_of=lambda i: (i + 1, 3) if i != 1 else None)
    assert progress == [(1, 3), (3, 3)]


def test_cancel_lets_a_winding_down_generator_return_its_summary(slot, qtbot):
    release, returned = threading.Event(), []
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        slot.start(blocked(release), on_yielded=lambda _item: slot.cancel(), on_returned=returned.append,
                   winds_down=True)
    assert returned == ["cancelled summary"] and slot.was_cancelled and not slot.is_busy()


def test_cancel_closes_a_generator_that_does_not_wind_down(slot, qtbot):
    returned, seen, gate = [], [], threading.Event()

    def endless(cancel):   # never looks at the flag
        produced = 0
        while True:
            produced += 1
            yield produced
            gate.wait(5)   # the first item waits until the GUI has cancelled

    def on_item(item):
        seen.append(item)
        slot.cancel()
        gate.set()

    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        slot.start(endless, on_yielded=on_item, on_returned=returned.append)
    # Closed at its next yield: item 2 only if the worker had resumed it before the cancel landed.
    assert seen in ([1], [1, 2]) and returned == [] and slot.was_cancelled


def test_errors_become_one_sentence(slot, qtbot):
    errors = []

    def failing(cancel):
        yield 1
        raise SegError("Label 'a.png' is truncated.")

    def buggy(cancel):
        raise KeyError("x")
        yield  # pragma: no cover

    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        slot.start(failing, on_errored=errors.append)
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        slot.start(buggy, on_errored=errors.append)
    assert errors[0] == "Label 'a.png' is truncated."
    assert errors[1].startswith("Unexpected error: KeyError") and "\n" not in errors[1]


def test_starting_twice_is_refused_while_busy(slot, qtbot):
    release = threading.Event()
    assert slot.start(blocked(release), winds_down=True)
    assert slot.start(counting(1)) is False          # REFUSE: the first job keeps the slot
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        release.set()
    assert slot.start(counting(1))                   # idle again: a new job starts
    qtbot.waitUntil(lambda: not slot.is_busy(), timeout=WAIT_MS)


def test_replace_policy_drops_the_older_jobs_results(qtbot):
    own = QThreadPool()
    own.setMaxThreadCount(2)
    slot = JobSlot(own, policy=StartPolicy.REPLACE)
    release, returned, busy = threading.Event(), [], []
    slot.busy_changed.connect(busy.append)
    slot.start(blocked(release), on_returned=returned.append, winds_down=True)
    older = slot.worker
    with qtbot.waitSignal(slot.finished, timeout=WAIT_MS):
        assert slot.start(counting(2), on_returned=returned.append)
    release.set()
    qtbot.waitUntil(older.is_done, timeout=WAIT_MS)
    own.waitForDone(5000)
    qtbot.wait(20)   # let the older job's queued signals arrive: they must be dropped
    assert returned == ["counted 2"] and older.is_cancelled()
    assert busy == [True, True, False]


def test_discard_is_idle_at_once_and_drops_late_results(slot, qtbot):
    release, returned, busy = threading.Event(), [], []
    slot.busy_changed.connect(busy.append)
    slot.start(blocked(release), on_returned=returned.append, winds_down=True)
    worker = slot.worker
    slot.discard()
    assert not slot.is_busy() and busy == [True, False]
    qtbot.waitUntil(worker.is_done, timeout=WAIT_MS)
    qtbot.wait(20)
    assert returned == []


def test_cancel_all_waits_at_most_the_budget(qtbot):
    own = QThreadPool()
    own.setMaxThreadCount(2)
    stubborn, quick = JobSlot(own), JobSlot(own)
    release, started = threading.Event(), threading.Event()

    def ignores_cancel(cancel):   # a job slow to stop: it ignores the flag until released
        started.set()
        release.wait(10)
        yield "late"

    stubborn.start(ignores_cancel)
    quick.start(blocked(threading.Event()), winds_down=True)
    assert started.wait(5)
    began = time.monotonic()
    assert cancel_all([stubborn, quick]) is False
    elapsed = time.monotonic() - began
    assert elapsed < CLOSE_BUDGET_S + 0.05
    assert not stubborn.is_busy()   # discarded: its late results go nowhere
    release.set()
    own.waitForDone(5000)


def test_an_image_load_does_not_queue_behind_thumbnails_or_validation(qtbot, tmp_path):
    """Thumbnails and checks block every thread of their pools; opening an image still completes."""
    from app.document.loading import ImageLoader
    from support.projects import make_project

    project = make_project(tmp_path / "proj", count=1)
    release = threading.Event()
    blockers = []
    try:
        for kind in (Pool.THUMBNAILS, Pool.CHECKS):
            for _ in range(pool(kind).maxThreadCount()):
                started = threading.Event()
                blocker = JobSlot(pool(kind))
                assert blocker.start(blocked(release, started), winds_down=True)
                assert started.wait(5)
                blockers.append(blocker)
        loader = ImageLoader()
        image = project.image_paths()[0]
        with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS) as loaded:
            loader.start(project, image)
        assert loaded.args[0].path == image and loaded.args[0].rgb.shape[:2] == (40, 60)
        assert all(b.is_busy() for b in blockers) and not release.is_set()
    finally:
        release.set()
        for kind in (Pool.THUMBNAILS, Pool.CHECKS):
            pool(kind).waitForDone(5000)
