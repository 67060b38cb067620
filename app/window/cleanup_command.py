"""Edit → "Clean up labels…": fill small holes and remove small islands in one undo step.

`CleanupDialog` asks for the size N (pixels), the scope (the whole image or the active class) and
which of the two to do, and remembers them for the session; `clean_up(document, settings)` runs
`segmodels.labels.cleanup.clean_labels` on the current label map and commits what changed as one
undo step ("Clean up"), so protected labels apply to it like to any tool. It returns the sentence
for the status bar.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from app.document.label_document import LabelDocument
from segmodels.labels.cleanup import DEFAULT_MAX_AREA, clean_labels

SHORTCUT = "Ctrl+Shift+C"


@dataclass(frozen=True)
class CleanupSettings:
    max_area: int = DEFAULT_MAX_AREA
    active_class_only: bool = False
    fill_holes: bool = True
    remove_islands: bool = True


def clean_up(document: LabelDocument, settings: CleanupSettings) -> str:
    label_map = document.label_map
    if label_map is None or document.is_loading:
        return "Open an image to clean up its labels."
    class_id = document.view.active_class if settings.active_class_only else None
    result = clean_labels(label_map, settings.max_area, class_id=class_id, fill_holes=settings.fill_holes,
                          remove_islands=settings.remove_islands)
    with document.edit("Clean up") as stroke:
        stroke.paint(0, 0, result.label_map != label_map, result.label_map)
    return result.sentence(document.image_path.name if document.image_path else "this image")


class CleanupDialog(QDialog):
    last_settings = CleanupSettings()  # remembered for the session: the same N is usually wanted again

    def __init__(self, document: LabelDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clean up labels")
        self.document = document
        settings = CleanupDialog.last_settings
        self.max_area = QSpinBox(self)
        self.max_area.setRange(1, 10_000_000)
        self.max_area.setSuffix(" px")
        self.max_area.setValue(settings.max_area)
        self.max_area.setToolTip("Holes and islands smaller than this many pixels are cleaned")
        self.scope = QComboBox(self)
        self.scope.addItem("Whole image: every class, unlabelled holes")
        table, active = document.class_table, document.view.active_class
        name = table[active].name if table is not None and active < len(table) else str(active)
        self.scope.addItem(f"Active class only ({active}: {name})")
        self.scope.setCurrentIndex(1 if settings.active_class_only else 0)
        self.holes = QCheckBox("Fill holes", self)
        self.holes.setChecked(settings.fill_holes)
        self.islands = QCheckBox("Remove islands", self)
        self.islands.setChecked(settings.remove_islands)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        form = QFormLayout(self)
        form.addRow("Smaller than", self.max_area)
        form.addRow("Scope", self.scope)
        form.addRow(self.holes)
        form.addRow(self.islands)
        form.addRow(buttons)

    def settings(self) -> CleanupSettings:
        return CleanupSettings(self.max_area.value(), self.scope.currentIndex() == 1, self.holes.isChecked(),
                               self.islands.isChecked())

    def accept(self) -> None:
        CleanupDialog.last_settings = self.settings()
        sentence = clean_up(self.document, self.last_settings)
        self.document.status_message.emit(sentence)
        super().accept()
