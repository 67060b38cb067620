"""How the canvas draws the label overlay, apart from the colours and opacity (`document.view`):

    style.contours (bool)          set_contours(on)         class outlines only, one screen pixel wide (O)
    style.show_unlabelled (bool)   set_show_unlabelled(on)  unlabelled (255) pixels tinted (U)

Each setter emits `changed` only on a real change. Unlabelled pixels are tinted by default: left
clear they look exactly like a black background class on a dark image, so an eraser stroke across
the background would not show.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class LabelStyle(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._contours = False
        self._show_unlabelled = True

    @property
    def contours(self) -> bool:
        return self._contours

    @property
    def show_unlabelled(self) -> bool:
        return self._show_unlabelled

    def set_contours(self, on: bool) -> None:
        if bool(on) != self._contours:
            self._contours = bool(on)
            self.changed.emit()

    def set_show_unlabelled(self, on: bool) -> None:
        if bool(on) != self._show_unlabelled:
            self._show_unlabelled = bool(on)
            self.changed.emit()
