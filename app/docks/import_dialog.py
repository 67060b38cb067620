"""The import dialog (File > Import…): make a project from COCO, labelme or CVAT annotations.

The user picks the kind (app/docks/import_kinds.py), its inputs (the COCO file and its images folder;
the labelme folder and, optionally, its class list; the CVAT zip) and the output folder, which is
filled in beside the source when first chosen. The import runs in a JobSlot worker with a progress bar
and Cancel: COCO and labelme stop between images (what was imported is a valid project), CVAT between
zip members (nothing is left behind). Each skipped image and each annotation left out is one line
below the bar; the end says how many images were imported, where, and with which classes, and offers
to open the project (`open_requested`, which File > Import… connects to the window).

Every file and folder question goes through `app.messages` (`choose_file`, `choose_folder`), so tests
drive the dialog without a file dialog.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app import messages
from app.docks.import_kinds import BY_KEY, KINDS, ImportDone, ImportKind, ImportRequest
from app.docks.job_dialog import JobDialog
from app.jobs.steps import FileStep, plain

CLASS_LIST_FILTER = "Class lists (*.txt *.json);;All files (*)"


def _path_row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


class ImportDialog(JobDialog):
    #: After an import ended (done, cancelled or failed) and the status shows it.
    import_finished = Signal()
    #: The user agreed to open the imported project (its folder).
    open_requested = Signal(object)  # a Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import annotations")
        self.job.progress_changed.connect(lambda done, total: self.panel.show_progress(done, total))
        self.steps: list[FileStep] = []
        self.total = 0
        self.outcome: ImportDone | None = None
        self._error: str | None = None
        self._request: ImportRequest | None = None
        self._build()
        self._kind_changed()

    def _build(self) -> None:
        self.kind_combo = QComboBox()
        for kind in KINDS:
            self.kind_combo.addItem(kind.text, kind.key)
        self.kind_combo.currentIndexChanged.connect(lambda _: self._kind_changed())
        self.source_edit, self.images_edit, self.classes_edit, self.out_edit = (QLineEdit() for _ in range(4))
        self.classes_edit.setPlaceholderText("optional: the labels found, sorted")
        self.source_button, self.images_button, self.classes_button, self.out_button = (
            QPushButton("Browse…") for _ in range(4))
        self.source_button.clicked.connect(self._browse_source)
        self.images_button.clicked.connect(lambda: self._browse_folder(self.images_edit, "Images folder"))
        self.classes_button.clicked.connect(self._browse_classes)
        self.out_button.clicked.connect(lambda: self._browse_folder(self.out_edit, "Project folder to create"))
        self.form = QFormLayout()
        self.form.addRow("Kind", self.kind_combo)
        self.source_label = QLabel("Source")
        self.form.addRow(self.source_label, _path_row(self.source_edit, self.source_button))
        self.form.addRow("Images folder", _path_row(self.images_edit, self.images_button))
        self.form.addRow("Class list", _path_row(self.classes_edit, self.classes_button))
        self.form.addRow("Output folder", _path_row(self.out_edit, self.out_button))
        self.import_button = self.lay_out(self.form, "Import")
        self.resize(620, 0)

    # -- settings -------------------------------------------------------------------------------------
    @property
    def kind(self) -> ImportKind:
        return BY_KEY[self.kind_combo.currentData()]

    def set_kind(self, key: str) -> None:
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(key))

    def _kind_changed(self) -> None:
        kind = self.kind
        self.source_label.setText(kind.source_label)
        self.form.setRowVisible(2, kind.needs_images)
        self.form.setRowVisible(3, kind.takes_classes)
        self._update_controls()

    def _browse_source(self) -> None:
        kind = self.kind
        if kind.source_filter is None:
            chosen = messages.choose_folder(self, kind.source_label)
        else:
            chosen = messages.choose_file(self, kind.source_label, kind.source_filter)
        if chosen is not None:
            self.set_source(chosen)

    def set_source(self, source: Path) -> None:
        """The source, with the images and output fields filled in beside it when still empty."""
        self.source_edit.setText(str(source))
        if self.kind.needs_images and not self.images_edit.text().strip():
            self.images_edit.setText(str(source.parent))
        if not self.out_edit.text().strip():
            name = source.stem if self.kind.source_filter is not None else source.name
            self.out_edit.setText(str(source.parent / (name if self.kind.key == "cvat" else f"{name}-segstudio")))

    def _browse_folder(self, edit: QLineEdit, title: str) -> None:
        chosen = messages.choose_folder(self, title)
        if chosen is not None:
            edit.setText(str(chosen))

    def _browse_classes(self) -> None:
        chosen = messages.choose_file(self, "Class list", CLASS_LIST_FILTER)
        if chosen is not None:
            self.classes_edit.setText(str(chosen))

    def _update_controls(self) -> None:
        running = self.job.is_busy()
        for widget in (self.kind_combo, self.source_edit, self.images_edit, self.classes_edit, self.out_edit,
                       self.source_button, self.images_button, self.classes_button, self.out_button):
            widget.setEnabled(not running)
        self.import_button.setEnabled(not running)
        self.cancel_button.setText("Cancel" if running else "Close")

    # -- running --------------------------------------------------------------------------------------
    def request(self) -> ImportRequest | None:
        """The inputs as a request, or None after saying which field is missing."""
        kind = self.kind
        fields = [(self.source_edit, kind.source_label), (self.out_edit, "Output folder")]
        if kind.needs_images:
            fields.insert(1, (self.images_edit, "Images folder"))
        for edit, name in fields:
            if not edit.text().strip():
                messages.warning(self, f"Choose the {name[0].lower()}{name[1:]} first.")
                return None
        images, classes = self.images_edit.text().strip(), self.classes_edit.text().strip()
        return ImportRequest(Path(self.source_edit.text().strip()), Path(self.out_edit.text().strip()),
                             Path(images) if kind.needs_images else None,
                             Path(classes) if kind.takes_classes and classes else None)

    def start(self) -> bool:
        """Start importing in the background; False when it could not start."""
        if self.job.is_busy():
            return False
        request = self.request()
        if request is None:
            return False
        kind = self.kind
        self.steps, self.total, self.outcome, self._error, self._request = [], 0, None, None, request
        self.panel.reset(0, f"Reading {request.source.name}…")  # a busy bar until the total is known
        self.job.start(lambda cancel: kind.run(request, cancel), on_yielded=self._on_step,
                       on_returned=self._on_returned, on_errored=self._on_error, on_finished=self._on_finished,
                       progress_of=lambda step: (step.index, step.total))
        self._update_controls()
        return True

    def _on_step(self, step: FileStep) -> None:
        self.total = step.total
        if step.index:
            self.steps.append(step)
        self.panel.add_step(step)

    def _on_returned(self, done: ImportDone) -> None:
        self.outcome = done
        for note in done.notes:
            self.panel.add_line(note)

    def _on_error(self, sentence: str) -> None:
        self._error = sentence

    def _on_finished(self) -> None:
        cancelled = self.job.was_cancelled
        self._update_controls()
        self.panel.finish_progress()
        imported = [s for s in self.steps if s.error is None]
        if self._error is not None and not (cancelled and not imported):
            self.panel.set_summary(f"Import stopped: {plain(self._error)}")
            messages.error(self, plain(self._error))
        else:
            self.panel.set_summary(self._summary(cancelled, imported))
        self.import_finished.emit()
        if self._error is None and imported:
            self._offer_to_open()

    def _summary(self, cancelled: bool, imported: list[FileStep]) -> str:
        out = self._request.out if self._request is not None else Path(self.out_edit.text())
        if cancelled and not imported:
            return "Cancelled: nothing was imported."
        if self.kind.key == "cvat":
            return f"Imported into {out}: {self.outcome.about if self.outcome else ''}".strip()
        skipped = len(self.steps) - len(imported)
        already = sum(1 for s in imported if s.already)
        text = (f"{'Cancelled: imported' if cancelled else 'Imported'} {len(imported) - already} of {self.total} "
                f"image(s) into {out}.")
        if already:
            text += f" {already} were already there."
        if skipped:
            text += f" {skipped} skipped (listed below)."
        if self.outcome is not None:
            text += f" {self.outcome.about}"
        return text

    def _offer_to_open(self) -> None:
        out = self._request.out
        if messages.ask(self, f"Open the imported project {out}?") is messages.Answer.YES:
            self.open_requested.emit(out)
            self.accept()
