"""Labels whose size does not depend on their text, so nothing around them moves.

`ElidedLabel`: one line; text too long for its width ends in "…" and the tooltip shows all of it.
`ReservedLabel`: wraps over a fixed number of lines (the space is kept while it is empty, so buttons
below it never jump when a message appears); text that needs more lines is cut with "…" and shown
whole in the tooltip. A click aimed at a button must land on that button.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ELLIPSIS = "…"
_WRAP = int(Qt.TextFlag.TextWordWrap)


class _FittedLabel(QLabel):
    """Keeps the full text; shows what fits (`_fit`), with the full text as tooltip when cut."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._tip = ""  # a tooltip set by hand: shown while the whole text fits
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text
        self._refit()

    def text(self) -> str:
        return self._full

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt override
        self._tip = tip
        self._refit()

    def shown_text(self) -> str:
        return super().text()

    def is_cut(self) -> bool:
        return super().text() != self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._refit()

    def _refit(self) -> None:
        shown = self._fit(self._full)
        super().setText(shown)
        super().setToolTip(self._full if shown != self._full else self._tip)

    def _fit(self, text: str) -> str:
        raise NotImplementedError


class ElidedLabel(_FittedLabel):
    def _fit(self, text: str) -> str:
        width = self.contentsRect().width()
        one_line = " ".join(text.split())
        return self.fontMetrics().elidedText(one_line, Qt.TextElideMode.ElideRight, max(width, 1))


class ReservedLabel(_FittedLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, *, lines: int = 2) -> None:
        self.lines = lines
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        margins = self.contentsMargins()
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom() + 2)

    def _fit(self, text: str) -> str:
        width = self.contentsRect().width()
        if width <= 1 or self._fits(text, width):
            return text
        low, high = 0, len(text)  # the longest prefix that fits with "…": binary search
        while low < high:
            middle = (low + high + 1) // 2
            if self._fits(text[:middle].rstrip() + ELLIPSIS, width):
                low = middle
            else:
                high = middle - 1
        return text[:low].rstrip() + ELLIPSIS

    def _fits(self, text: str, width: int) -> bool:
        metrics: QFontMetrics = self.fontMetrics()
        height = metrics.boundingRect(QRect(0, 0, width, 100000), _WRAP, text).height()
        return height <= self.lines * metrics.lineSpacing()
