"""Edit → "Clean up labels…": fill small holes and remove small islands in one undo step.

`CleanupDialog` asks for the size N (pixels), the scope (the whole image or the active class) and
which of the two to do, and remembers them for the session. OK runs
`segmodels.labels.cleanup.clean_labels` on a copy of the current label map in a worker (one
connected-component scan per class: a large map with many classes takes seconds) while the dialog,
window-modal, says "Cleaning…"; `commit_cleanup` then writes what changed as one undo step ("Clean
up"), through the document, so protected labels apply to it as to any tool, and the status bar says
what was done.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.document.label_document import LabelDocument
from segmodels.labels.cleanup import DEFAULT_MAX_AREA, CleanupResult, clean_labels


@dataclass(frozen=True)
class CleanupSettings:
    max_area: int = DEFAULT_MAX_AREA
    active_class_only: bool = False
    fill_holes: bool = True
    remove_islands: bool = True


def commit_cleanup(document: LabelDocument, label_map: np.ndarray, snapshot: np.ndarray,
                   result: CleanupResult) -> str:
    """Write the cleaned pixels into `label_map` (the map `snapshot` was copied from) as one undo
    step; pixels edited since the copy are left as they are. Returns the status-bar sentence."""
    name = document.image_path.name if document.image_path else "this image"
    if document.label_map is not label_map:
        return f"Clean up not applied: {name} is no longer the image it was run on."
    changed = (result.label_map != snapshot) & (label_map == snapshot)
    with document.edit("Clean up") as stroke:
        stroke.paint(0, 0, changed, result.label_map)
    return result.sentence(name)


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
        self.progress = QLabel("", self)
        form.addRow(self.progress)
        form.addRow(buttons)
        self._worker = None

    def settings(self) -> CleanupSettings:
        return CleanupSettings(self.max_area.value(), self.scope.currentIndex() == 1, self.holes.isChecked(),
                               self.islands.isChecked())

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def accept(self) -> None:
        """Start the cleanup in a worker; the dialog closes when it is committed."""
        from app.jobs.pools import Pool, pool
        from app.jobs.worker import GeneratorWorker, start_worker

        if self._worker is not None:
            return
        settings = CleanupDialog.last_settings = self.settings()
        document, label_map = self.document, self.document.label_map
        if label_map is None or document.is_loading:
            document.status_message.emit("Open an image to clean up its labels.")
            super().accept()
            return
        snapshot = label_map.copy()
        class_id = document.view.active_class if settings.active_class_only else None
        worker = GeneratorWorker.for_call(lambda cancel: clean_labels(
            snapshot, settings.max_area, class_id=class_id, fill_holes=settings.fill_holes,
            remove_islands=settings.remove_islands))
        worker.signals.returned.connect(lambda result: self._done(label_map, snapshot, result))
        worker.signals.errored.connect(self._failed)
        self._worker = worker
        self.progress.setText("Cleaning…")
        for widget in (self.max_area, self.scope, self.holes, self.islands,
                       self.buttons.button(QDialogButtonBox.StandardButton.Ok)):
            widget.setEnabled(False)
        start_worker(worker, pool(Pool.CHECKS))

    def reject(self) -> None:
        if self._worker is not None:
            self._worker.cancel()  # its result is dropped: nothing was written
            self._worker = None
        super().reject()

    def _done(self, label_map: np.ndarray, snapshot: np.ndarray, result: CleanupResult) -> None:
        if self._worker is None:
            return  # cancelled
        self._worker = None
        self.document.status_message.emit(commit_cleanup(self.document, label_map, snapshot, result))
        super().accept()

    def _failed(self, sentence: str) -> None:
        self._worker = None
        self.document.error.emit(sentence)
        super().reject()
