"""Background work for the GUI: run a generator in a pool thread and report through Qt signals.

Modelled on superqt's `GeneratorWorker`: the worker only emits signals (started, yielded, returned,
errored, finished) and checks one cancel flag between yields, so long work never runs on the GUI
thread and can be stopped cleanly. Results cross threads as Python objects; a QImage made in a
worker must be `.copy()`-ed first. Screens do not use the worker directly: `app.jobs.slot.JobSlot`
owns the lifecycle (start, busy state, cancel, finished).

Cancelling sets the flag; what happens next is declared when the worker is made:
- `winds_down=True`: the generator watches the flag itself and winds down; the worker keeps
  resuming it, so it *returns its summary* (training's best checkpoint so far, prediction's count)
  through `returned`;
- otherwise (e.g. a plain `iter_validate`) the worker closes the generator at its next yield and
  emits no `returned`.

    worker = GeneratorWorker(lambda cancel: validate_iter(paths, cancel=cancel))
    worker.signals.yielded.connect(on_item)
    start_worker(worker, pool)
    worker.cancel()         # cooperative: the generator sees cancel() == True between items
"""
from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from segmodels.cancel import CancelFlag
from segmodels.errors import SegError

log = logging.getLogger(__name__)

#: The one cancel type: a callable that says whether the job should stop. Jobs check it between items.

#: Workers started and not yet finished. The pool holds only a C++ pointer (auto-delete is off), so
#: a worker whose owner dropped it (a superseded image load, a window closed mid-job) must be kept
#: alive here until its `run()` ends.
_RUNNING: set[GeneratorWorker] = set()


def one_call(function: Callable[[CancelFlag], Any]) -> Callable[[CancelFlag], Iterator[Any]]:
    """A generator job for one plain call `function(cancel)`: its result is the job's return value."""
    def make(cancel: CancelFlag) -> Iterator[Any]:
        yield from ()
        return function(cancel)

    return make


class WorkerSignals(QObject):
    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(str)      # one plain sentence for the user
    finished = Signal()        # always last, after returned/errored, also after cancel


class GeneratorWorker(QRunnable):
    """Runs `make_generator(cancel)` in a pool thread, emitting each yielded item.

    The generator's return value (StopIteration.value) is emitted as `returned`. A SegError becomes
    its message; any other exception becomes a sentence plus a logged traceback.
    """

    def __init__(self, make_generator: Callable[[CancelFlag], Iterator[Any]], *, winds_down: bool = False) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps a reference and may query it after finishing
        self.signals = WorkerSignals()
        self._make_generator = make_generator
        self._winds_down = winds_down
        self._cancel = threading.Event()
        self._done = threading.Event()

    @classmethod
    def for_call(cls, function: Callable[[CancelFlag], Any]) -> GeneratorWorker:
        """A worker for one plain call (`function(cancel) -> result`): the result is emitted as
        `returned`, errors as for a generator."""
        return cls(one_call(function))

    # -- control (any thread) ---------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the worker finished. The GUI only waits briefly (see `app.jobs.slot`), or
        after asking, when the window closes during training; tests may wait longer."""
        return self._done.wait(timeout_s)

    # -- body (pool thread) -----------------------------------------------------------------------
    def run(self) -> None:
        emit = self._emit
        try:
            emit("started")
            generator = self._make_generator(self._cancel.is_set)
            while True:
                if self._cancel.is_set() and not self._winds_down:
                    generator.close()  # it does not watch the flag: stop it between items
                    break
                try:
                    item = next(generator)
                except StopIteration as stop:
                    emit("returned", stop.value)
                    break
                emit("yielded", item)
        except SegError as exc:
            emit("errored", str(exc))
        except MemoryError:
            emit("errored", "Out of memory; close other programs or use a smaller batch or tile size.")
        except Exception as exc:  # a bug, but the window must survive it
            log.error("worker failed:\n%s", traceback.format_exc())
            emit("errored", f"Unexpected error: {type(exc).__name__}: {exc}.")
        finally:
            self._done.set()
            emit("finished")
            _RUNNING.discard(self)

    def _emit(self, name: str, *args: Any) -> None:
        """Emit unless the receiving side is gone: when the window (and with it the signals
        object) is destroyed while this thread still runs, e.g. at exit, the work just ends."""
        try:
            getattr(self.signals, name).emit(*args)
        except RuntimeError:  # "Signal source has been deleted"
            self._cancel.set()


def start_worker(worker: GeneratorWorker, pool: QThreadPool) -> GeneratorWorker:
    """Start `worker` on `pool` (see `app.jobs.pools` for which pool runs what)."""
    _RUNNING.add(worker)
    pool.start(worker)
    return worker
