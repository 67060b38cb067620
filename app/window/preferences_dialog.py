"""Edit → Preferences…: a form over `app.preferences.Preferences`, one row and one line of explanation
per setting: undo memory, autosave interval, default device, thumbnail size, unlabelled tint, and the
Segment Anything weights file and model type.

OK stores every value and applies the ones that changed at once to the window
(app/window/preference_effects.py: a lower undo cap drops the oldest steps there and then, the autosave
timer, the docks' Device, the image list's thumbnails); Cancel changes nothing. Values that could not
be stored still apply until the program closes, and a message says so. The dialog is opened with
`open()`, not `exec()`, so the window's event loop (autosave, loading) keeps running and tests drive it
like any widget. One dialog per window: asking again raises the open one.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import messages
from app.preferences import (
    AUTOSAVE_SECONDS,
    DEFAULT_DEVICE,
    MIB,
    SAM_MODEL_TYPE,
    SAM_WEIGHTS_PATH,
    THUMBNAIL_PX,
    UNDO_LIMIT_MIB,
    UNLABELLED_TINT,
    IntSetting,
    Preferences,
    Setting,
)

if TYPE_CHECKING:
    from app.document.label_document import LabelDocument

SAM_FILTERS = "Segment Anything checkpoints (*.pth *.pt);;All files (*)"


def shortcut() -> QKeySequence:
    """The platform's Preferences key; Linux desktops define none, so Ctrl+, as most programs there use."""
    standard = QKeySequence(QKeySequence.StandardKey.Preferences)
    return standard if not standard.isEmpty() else QKeySequence("Ctrl+,")


def _spin(parent: QWidget, setting: IntSetting, suffix: str, step: int, value: int) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(setting.minimum, setting.maximum)
    spin.setSuffix(suffix)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin


class PreferencesDialog(QDialog):
    def __init__(self, document: LabelDocument, parent: QWidget | None = None,
                 preferences: Preferences | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(600)  # most explanations on one line
        self._document = document
        self._preferences = preferences if preferences is not None else Preferences()
        read = self._preferences.read
        self.undo_limit = _spin(self, UNDO_LIMIT_MIB, " MiB", 64, self._preferences.undo_limit_mib)
        self.autosave = _spin(self, AUTOSAVE_SECONDS, " s", 1, read(AUTOSAVE_SECONDS))
        self.device = QComboBox(self)
        self.device.addItems(DEFAULT_DEVICE.choices)
        self.device.setCurrentText(read(DEFAULT_DEVICE))
        self.thumbnail = _spin(self, THUMBNAIL_PX, " px", 16, read(THUMBNAIL_PX))
        self.unlabelled_tint = QCheckBox("Tint unlabelled pixels", self)
        self.unlabelled_tint.setChecked(read(UNLABELLED_TINT))
        self.sam_weights = QLineEdit(read(SAM_WEIGHTS_PATH), self)
        self.sam_weights.setPlaceholderText("no file chosen")
        self.sam_choose = QPushButton("C&hoose…", self)
        self.sam_choose.setToolTip("Pick the weights file (Alt+H)")
        self.sam_choose.clicked.connect(self._choose_sam_weights)
        self.sam_model_type = QComboBox(self)
        self.sam_model_type.addItems(SAM_MODEL_TYPE.choices)
        self.sam_model_type.setCurrentText(read(SAM_MODEL_TYPE))
        sam_row = QHBoxLayout()
        sam_row.addWidget(self.sam_weights, 1)
        sam_row.addWidget(self.sam_choose)
        form = QFormLayout()
        for label, field, explanation in (
                ("Undo memory (all open images)", self.undo_limit,
                 "When undo steps need more, the oldest are dropped first."),
                ("Autosave after", self.autosave,
                 "Unsaved edits are written to a recovery file this long after an edit; a crash loses at most that."),
                ("Default device", self.device,
                 "Where predictions and training started from the window run; auto picks the GPU when there is one."),
                ("Thumbnail size", self.thumbnail, "Width of the pictures in the image list."),
                ("", self.unlabelled_tint, "Pixels no class has been painted on yet are tinted, so gaps stand out."),
                ("SAM weights file", sam_row,
                 "A Segment Anything checkpoint you downloaded; segstudio never downloads one itself."),
                ("SAM model type", self.sam_model_type, "auto reads it from the file; a type chosen must match it.")):
            form.addRow(label, field)
            note = QLabel(explanation, self)
            note.setWordWrap(True)
            form.addRow("", note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _choose_sam_weights(self) -> None:
        current = Path(self.sam_weights.text()).expanduser()
        start = str(current.parent) if self.sam_weights.text() and current.parent.is_dir() else ""
        chosen = messages.choose_file(self, "Choose the SAM weights file", SAM_FILTERS, start=start)
        if chosen is not None:
            self.sam_weights.setText(str(chosen))

    def values(self) -> dict[Setting, Any]:
        """What the form shows, setting by setting."""
        return {UNDO_LIMIT_MIB: self.undo_limit.value(), AUTOSAVE_SECONDS: self.autosave.value(),
                DEFAULT_DEVICE: self.device.currentText(), THUMBNAIL_PX: self.thumbnail.value(),
                UNLABELLED_TINT: self.unlabelled_tint.isChecked(), SAM_WEIGHTS_PATH: self.sam_weights.text().strip(),
                SAM_MODEL_TYPE: self.sam_model_type.currentText()}

    def accept(self) -> None:
        """Store, then apply what changed: the values take effect even when they could not be stored."""
        changed = {setting: value for setting, value in self.values().items()
                   if value != self._preferences.read(setting)}
        if changed and not self._preferences.store_all(changed):
            messages.warning(self.parentWidget() or self,
                             f"The preferences could not be saved to '{self._preferences.file_name}': "
                             "the new values apply until segstudio closes.")
        window = self.parentWidget()
        if hasattr(window, "preferences_changed"):
            from app.window.preference_effects import apply_preferences

            apply_preferences(window, changed)
        elif UNDO_LIMIT_MIB in changed:
            self._document.set_undo_limit(changed[UNDO_LIMIT_MIB] * MIB)
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
