"""Background work for the GUI: run a generator in a thread and report through Qt signals.

Modelled on superqt's generator worker: the worker only emits signals (started, yielded, returned,
errored, finished) and checks a cancel flag between yields, so long work (prediction over a folder,
training, validation, thumbnails) never runs on the GUI thread and can be stopped cleanly. Results
cross threads as Python objects; a QImage made in a worker must be `.copy()`-ed first.

    worker = GeneratorWorker(lambda cancel: validate_iter(paths, cancel=cancel))
    worker.signals.yielded.connect(on_item)
    worker.signals.finished.connect(on_done)
    start_worker(worker)
    ...
    worker.cancel()         # cooperative: the generator sees cancel() == True between items
"""
from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from segmodels.errors import SegError

log = logging.getLogger(__name__)

CancelFlag = Callable[[], bool]


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

    def __init__(self, make_generator: Callable[[CancelFlag], Iterator[Any]]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps a reference and may query it after finishing
        self.signals = WorkerSignals()
        self._make_generator = make_generator
        self._cancel = threading.Event()
        self._done = threading.Event()

    @classmethod
    def for_call(cls, function: Callable[[CancelFlag], Any]) -> GeneratorWorker:
        """A worker for one plain call (`function(cancel) -> result`): the result is emitted as
        `returned`, errors as for a generator."""
        def make(cancel: CancelFlag) -> Iterator[Any]:
            yield from ()
            return function(cancel)

        return cls(make)

    # -- control (any thread) ---------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the worker finished (used when closing the window)."""
        return self._done.wait(timeout_s)

    # -- body (pool thread) -----------------------------------------------------------------------
    def run(self) -> None:
        emit = self._emit
        try:
            emit("started")
            generator = self._make_generator(self._cancel.is_set)
            while True:
                if self._cancel.is_set():
                    generator.close()
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

    def _emit(self, name: str, *args: Any) -> None:
        """Emit unless the receiving side is gone: when the window (and with it the signals
        object) is destroyed while this thread still runs, e.g. at exit, the work just ends."""
        try:
            getattr(self.signals, name).emit(*args)
        except RuntimeError:  # "Signal source has been deleted"
            self._cancel.set()


def start_worker(worker: GeneratorWorker, pool: QThreadPool | None = None) -> GeneratorWorker:
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker
