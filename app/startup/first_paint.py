"""`after_first_paint(widget, callback)`: run `callback` once, just after `widget` is first painted.

Work the first frame does not need (thumbnails, the docks) waits for it, so the window shows the
image as early as possible. The callback runs from a zero-delay timer started inside the first Paint
event, so it runs after that frame has been flushed, never inside it. A widget that is never painted
(a hidden dock, a minimised window) still gets its callback after `FALLBACK_MS`.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 1000


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)  # dies with the widget: no callback for a widget that is gone
        self._callback: Callable[[], None] | None = callback
        widget.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)  # no Python call per event from now on
            QTimer.singleShot(0, self, self._run)
        return False

    def _run(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` (on the GUI thread) once `widget` has been painted, or after FALLBACK_MS."""
    _FirstPaint(widget, callback)
