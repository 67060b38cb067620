"""Edit → Preferences…: a form over `app.preferences.Preferences`.

OK stores every value and applies it at once to the window's document (a lower undo cap drops the
oldest steps there and then: `LabelDocument.set_undo_limit`); Cancel changes nothing. The dialog is
opened with `open()`, not `exec()`, so the window's event loop (autosave, loading) keeps running and
tests drive it like any widget. One dialog per window: asking again raises the open one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app import messages
from app.preferences import MIB, UNDO_LIMIT_MIB, Preferences

if TYPE_CHECKING:
    from app.document.label_document import LabelDocument


def shortcut() -> QKeySequence:
    """The platform's Preferences key; Linux desktops define none, so Ctrl+, as most programs there use."""
    standard = QKeySequence(QKeySequence.StandardKey.Preferences)
    return standard if not standard.isEmpty() else QKeySequence("Ctrl+,")


class PreferencesDialog(QDialog):
    def __init__(self, document: LabelDocument, parent: QWidget | None = None,
                 preferences: Preferences | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._document = document
        self._preferences = preferences if preferences is not None else Preferences()
        self.undo_limit = QSpinBox(self)
        self.undo_limit.setRange(UNDO_LIMIT_MIB.minimum, UNDO_LIMIT_MIB.maximum)
        self.undo_limit.setSuffix(" MiB")
        self.undo_limit.setSingleStep(64)
        self.undo_limit.setValue(self._preferences.undo_limit_mib)
        explanation = QLabel("When undo steps need more, the oldest are dropped first.", self)
        explanation.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Undo memory (all open images)", self.undo_limit)
        form.addRow("", explanation)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        """Store, then apply: the value takes effect even when it could not be stored."""
        mib = self.undo_limit.value()
        if not self._preferences.store_undo_limit(mib):
            messages.warning(self.parentWidget() or self,
                             f"The preferences could not be saved to '{self._preferences.file_name}': "
                             "the new undo memory applies until segstudio closes.")
        self._document.set_undo_limit(mib * MIB)
        super().accept()


def show_preferences(document: LabelDocument, parent: QWidget) -> PreferencesDialog:
    """Open the Preferences dialog over `parent` (window-modal), or raise the one already open."""
    for dialog in parent.findChildren(PreferencesDialog):
        if dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
    dialog = PreferencesDialog(document, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a fresh one reads the stored values next time
    dialog.open()
    return dialog
