"""`NoticeBar`: a note in the status bar that stays until the user dismisses it.

Status-bar messages vanish after a few seconds, which is right for "Saved labels/x.png" and wrong for
"Restored unsaved edits of 3 images": the user must act on that one (save or undo), so it stays, with a
Dismiss button, until dismissed or replaced by the next such notice. Long text is elided; the tooltip
holds all of it.
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStatusBar, QWidget

from app.widgets.elided_label import ElidedLabel


class NoticeBar(QWidget):
    def __init__(self, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self.status_bar = status_bar
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = ElidedLabel(parent=self)
        self.label.setAccessibleName("Notice")
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setToolTip("Hide this notice")
        self.dismiss_button.setAccessibleName("Dismiss notice")
        self.dismiss_button.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss_button)
        status_bar.addPermanentWidget(self, 1)
        self.hide()

    def show_notice(self, text: str) -> None:
        self.label.setText(text)
        if self.status_bar.currentMessage() == text:
            self.status_bar.clearMessage()  # said here, where it lasts: not twice
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()

    def dismiss(self) -> None:
        self.label.setText("")
        self.hide()
