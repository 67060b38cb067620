"""The generator worker: items, return value, errors as sentences, cancel, and a vanished receiver."""
from __future__ import annotations

import shiboken6

from app.jobs.pools import Pool, pool
from app.jobs.worker import GeneratorWorker, start_worker
from segmodels.errors import SegError


def counting(n: int):
    def make(cancel):
        yield from range(n)
        return "done"
    return make


def test_yields_then_returns_then_finishes(qtbot):
    worker = GeneratorWorker(counting(3))
    items, returned = [], []
    worker.signals.yielded.connect(items.append)
    worker.signals.returned.connect(returned.append)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        start_worker(worker, pool(Pool.CHECKS))
    assert items == [0, 1, 2] and returned == ["done"] and worker.is_done()


def test_seg_error_becomes_its_sentence(qtbot):
    def failing(cancel):
        yield 1
        raise SegError("Image 'x.png' is truncated.")

    worker = GeneratorWorker(failing)
    errors = []
    worker.signals.errored.connect(errors.append)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        start_worker(worker, pool(Pool.CHECKS))
    assert errors == ["Image 'x.png' is truncated."]


def test_cancel_stops_between_items():
    seen = []

    def endless(cancel):
        i = 0
        while True:
            seen.append(i)
            yield i
            i += 1

    worker = GeneratorWorker(endless)
    worker.signals.yielded.connect(lambda item: worker.cancel() if item == 4 else None)
    worker.run()  # in this thread: direct connections, so the cancel lands before the next item
    assert seen == [0, 1, 2, 3, 4] and worker.is_done() and worker.is_cancelled()


def test_a_deleted_receiver_ends_the_work_quietly():
    """At exit the window (and the signals object) can be destroyed while a worker still runs."""
    worker = GeneratorWorker(counting(1000))
    shiboken6.delete(worker.signals)
    worker.run()  # must not raise
    assert worker.is_done() and worker.is_cancelled()


def test_for_call_returns_the_result_of_one_plain_call(qtbot):
    worker = GeneratorWorker.for_call(lambda cancel: ("result", cancel()))
    returned, items = [], []
    worker.signals.returned.connect(returned.append)
    worker.signals.yielded.connect(items.append)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        start_worker(worker, pool(Pool.CHECKS))
    assert returned == [("result", False)] and items == []


def test_a_winding_down_generator_returns_its_summary_after_cancel():
    def counted(cancel):
        done = 0
        while not cancel():
            done += 1
            yield done
        return f"stopped after {done}"

    worker = GeneratorWorker(counted, winds_down=True)
    returned = []
    worker.signals.yielded.connect(lambda item: worker.cancel() if item == 3 else None)
    worker.signals.returned.connect(returned.append)
    worker.run()
    assert returned == ["stopped after 3"] and worker.is_cancelled()
