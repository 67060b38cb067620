"""`JobSlot`: the one place that owns a background job's lifecycle (start, busy, progress, cancel, done).

A screen holds one slot per kind of job it runs and never wires a worker itself (superqt's
`create_worker(func, _connect=...)` is the model):

    self.job = JobSlot(pool(Pool.CHECKS), self)
    self.job.busy_changed.connect(self._update_buttons)
    self.job.start(lambda cancel: iter_validate(jobs, options),
                   on_yielded=self._on_result, on_errored=self._on_error, on_finished=self._on_finished)
    ...
    self.job.cancel()   # sets the CancelFlag; with winds_down=True the generator returns its summary

Rules, the same for every screen:
- At most one job runs in a slot. Starting while busy follows the slot's `StartPolicy`: `REFUSE`
  (`start` returns False; the screens with a Start button) or `REPLACE` (the running job is
  cancelled and forgotten; its late results are dropped: image loading).
- `busy_changed(True)` when a job starts. When it ends, `is_busy()` is already False inside its
  `on_finished` callback (which may start the next job), then `busy_changed(False)` (unless it
  did) and `finished` follow. A job cancelled with `discard()` is over at once.
- `on_returned` gets the generator's summary, also after `cancel()` when it was started with
  `winds_down=True` (it watches the flag); `on_errored` gets one sentence; `on_finished` always comes last.
- `progress_changed(done, total)` is emitted for each yielded item that `progress_of` maps to a pair.
- Closing: `cancel_all(slots)` cancels, then waits at most `CLOSE_BUDGET_S` in total (the GUI
  thread must not freeze); a job still running then ends on its own, its results unseen.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal

from app.jobs.worker import CancelFlag, GeneratorWorker, one_call, start_worker

#: The most the GUI thread waits, in total, for jobs to stop when the window closes.
CLOSE_BUDGET_S = 0.1

Callback = Callable[..., Any] | None


class StartPolicy(enum.Enum):
    REFUSE = "refuse"    # start() while busy returns False
    REPLACE = "replace"  # start() while busy discards the running job and starts the new one


class JobSlot(QObject):
    """At most one running job of a kind; see the module docstring."""

    busy_changed = Signal(bool)
    progress_changed = Signal(int, int)   # done, total
    finished = Signal()                   # after the job's on_finished; the slot is idle again

    def __init__(self, pool: QThreadPool, parent: QObject | None = None,
                 policy: StartPolicy = StartPolicy.REFUSE) -> None:
        super().__init__(parent)
        self.pool = pool
        self.policy = policy
        self._worker: GeneratorWorker | None = None
        #: Whether the last job that finished had been cancelled (read it in `on_finished`).
        self.was_cancelled = False

    # -- state --------------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self._worker is not None

    @property
    def worker(self) -> GeneratorWorker | None:
        """The running job's worker (None when idle); for waiting on it when closing and in tests."""
        return self._worker

    def is_cancelled(self) -> bool:
        """Whether the running job was asked to stop (False when idle)."""
        return self._worker is not None and self._worker.is_cancelled()

    # -- control ------------------------------------------------------------------------------------
    def start(self, make_generator: Callable[[CancelFlag], Iterator[Any]], *, on_yielded: Callback = None,
              on_returned: Callback = None, on_errored: Callback = None, on_finished: Callback = None,
              progress_of: Callable[[Any], tuple[int, int] | None] | None = None,
              winds_down: bool = False, pool: QThreadPool | None = None) -> bool:
        """Run `make_generator(cancel)` on `pool` (the slot's own by default); False if refused.
        `winds_down`: the generator watches the flag and returns a summary when cancelled (see
        `app.jobs.worker`); otherwise a cancelled generator is closed at its next yield."""
        if self._worker is not None:
            if self.policy is StartPolicy.REFUSE:
                return False
            self._forget()
        worker = GeneratorWorker(make_generator, winds_down=winds_down)
        signals = worker.signals

        def current(callback: Callable[..., Any]) -> Callable[..., Any]:
            # A discarded or replaced job's queued signals must not reach the screen, nor any signal
            # a screen that was closed and deleted meanwhile (the slot is deleted with it).
            return lambda *args: callback(*args) if shiboken6.isValid(self) and worker is self._worker else None

        if on_yielded is not None:
            signals.yielded.connect(current(on_yielded))
        if progress_of is not None:
            signals.yielded.connect(current(lambda item: self._progress(progress_of(item))))
        if on_returned is not None:
            signals.returned.connect(current(on_returned))
        if on_errored is not None:
            signals.errored.connect(current(on_errored))
        signals.finished.connect(current(lambda: self._on_finished(on_finished)))
        self._worker = worker
        self.busy_changed.emit(True)
        start_worker(worker, pool or self.pool)
        return True

    def call(self, function: Callable[[CancelFlag], Any], **callbacks: Any) -> bool:
        """`start` for one plain call `function(cancel) -> result`, delivered to `on_returned`."""
        return self.start(one_call(function), **callbacks)

    def cancel(self) -> None:
        """Ask the running job to stop; it stays busy until it has wound down (and returned)."""
        if self._worker is not None:
            self._worker.cancel()

    def discard(self) -> None:
        """Cancel the running job and forget it now: the slot is idle at once, its results unseen."""
        if self._worker is not None:
            self._forget()
            self.busy_changed.emit(False)

    # -- internals ----------------------------------------------------------------------------------
    def _forget(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()

    def _progress(self, pair: tuple[int, int] | None) -> None:
        if pair is not None:
            self.progress_changed.emit(*pair)

    def _on_finished(self, on_finished: Callback) -> None:
        self.was_cancelled = self._worker is not None and self._worker.is_cancelled()
        self._worker = None  # idle before on_finished, so it may start the next job
        if on_finished is not None:
            on_finished()
        if self._worker is None:  # on_finished may have started the next job (a retry)
            self.busy_changed.emit(False)
        self.finished.emit()


def cancel_all(slots: Iterable[JobSlot], budget_s: float = CLOSE_BUDGET_S) -> bool:
    """Cancel every slot's job and wait at most `budget_s` in total for them to end (the window is
    closing). True if all ended; a job still running then is discarded: it finishes on its own,
    its results unseen (what it writes, it writes atomically)."""
    busy = [slot for slot in slots if slot.worker is not None]
    for slot in busy:
        slot.cancel()
    deadline = time.monotonic() + budget_s
    ended = True
    for slot in busy:
        worker = slot.worker
        if worker is not None and not worker.wait(max(0.0, deadline - time.monotonic())):
            slot.discard()
            ended = False
    return ended
