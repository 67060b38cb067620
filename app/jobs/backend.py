"""What the model and training docks need from the window, and the lazily loaded model backend.

The docks talk to the window through `DockHost` (the open project, the current image, "a prediction
was written", "order the image list"), so they can be tested with a small fake and wired to the real
main window by `WindowHost` in one place (tests use `tests/support/models.py`'s fakes).

`ModelBackend` hands the docks the model pool (`app.jobs.pools.Pool.MODEL`) and owns the one-time
import of torch and the model registry (a `JobSlot`, so a second request joins the first). Nothing
imports torch until a dock is first used: then `ensure_loaded()` imports it in a pool thread
(seconds) and emits `ready` with the architectures and the device, while the window keeps answering.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QWidget

from app.jobs.pools import Pool, pool
from app.jobs.predict import BackendInfo, load_backend
from app.jobs.slot import JobSlot
from app.jobs.worker import CancelFlag
from segmodels.labels.project import Project


class DockHost(Protocol):
    def project(self) -> Project | None: ...
    def current_image(self) -> Path | None: ...
    def prediction_written(self, image: Path) -> None: ...
    def set_image_order(self, images: list[Path], notes: dict[Path, str] | None = None) -> None: ...


def _warm_up(cancel: CancelFlag) -> BackendInfo:
    """The backend load, plus pyqtgraph: mostly pure Python, so importing it here lets the GUI
    thread keep its turns (the GIL switches every few ms), where importing it on the GUI thread
    when the training dock is first shown would freeze the window for most of a second."""
    info = load_backend("auto")
    import pyqtgraph  # noqa: F401 - module import only; its widgets are made on the GUI thread

    return info


class ModelBackend(QObject):
    """Shared by both docks: loads the model code once, runs model workers on its own pool."""

    ready = Signal(object)    # BackendInfo
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # The model pool (app.jobs.pools): thumbnails and validation never queue behind training.
        self.pool = pool(Pool.MODEL)
        self.info: BackendInfo | None = None
        self.loading = JobSlot(self.pool, self)
        self._waiting: list[Callable[[BackendInfo], None]] = []

    def is_loaded(self) -> bool:
        return self.info is not None

    def ensure_loaded(self, then: Callable[[BackendInfo], None] | None = None) -> None:
        """Load in the background (once); `then(info)` runs on the GUI thread when ready."""
        if self.info is not None:
            if then is not None:
                then(self.info)
            return
        if then is not None:
            self._waiting.append(then)
        self.loading.call(_warm_up, on_returned=self._on_loaded, on_errored=self._on_failed)  # refused while loading

    def _on_loaded(self, info: Any) -> None:
        self.info = info
        waiting, self._waiting = self._waiting, []
        self.ready.emit(info)
        for then in waiting:
            then(info)

    def _on_failed(self, message: str) -> None:
        self._waiting.clear()
        self.failed.emit(message)


class _LoadOnFirstClick(QObject):
    def __init__(self, backend: ModelBackend, parent: QObject) -> None:
        super().__init__(parent)
        self._backend = backend

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonPress and not self._backend.is_loaded():
            self._backend.ensure_loaded()
        return False  # the click itself goes on as usual


def load_backend_on_first_click(body: QWidget, backend: ModelBackend) -> None:
    """The first click anywhere in a dock starts loading torch in the background, so the
    architectures and the device are known by the time the user presses a button."""
    watcher = _LoadOnFirstClick(backend, body)
    for child in [body, *body.findChildren(QWidget)]:
        child.installEventFilter(watcher)
