"""The export dialog (File > Export…): write the project's reviewed labels in any format
`segstudio export` writes.

The formats are app/docks/export_choices.py's: palette, colour, overlay and grey index PNGs, a PASCAL
VOC tree, Cityscapes trainIds / labelIds / colour files (only for a project of the 19 Cityscapes train
classes), a CVAT zip and a COCO JSON file. The output is a folder, or one .zip / .json file; switching
format keeps the folder and swaps the file name. The export runs in a JobSlot worker with a progress
bar and Cancel (files already written stay, each written atomically; a .zip or .json is written only
when complete, so a cancelled one is not written at all). Each skipped image is one line below the
bar, and the end says how many labels were written, where, and what the format could not hold.

Export reads the label files on disk, so unsaved edits are offered for saving first; an existing .zip
or .json is replaced only when the user agrees. The folder dialog is one injectable callable
(`choose_folder(start, parent) -> str`); the file dialog is `app.messages.choose_file`, so tests need
no dialog.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app import messages
from app.docks.export_choices import BY_KEY, CHOICES, ExportChoice, ExportOptions, Output, adapt_output, choices_for
from app.docks.job_dialog import JobDialog
from app.document.label_document import LabelDocument
from app.jobs.steps import FileStep, plain

FolderChooser = Callable[[str, QWidget | None], str]

DEFAULT_ALPHA = 0.5
FILE_FILTERS = {Output.ZIP: "Zip files (*.zip)", Output.JSON: "COCO JSON (*.json)"}


def dialog_choose_folder(start: str, parent: QWidget | None) -> str:
    """The real folder dialog; "" when the user cancels."""
    return QFileDialog.getExistingDirectory(parent, "Export labels to", start)


class ExportDialog(JobDialog):
    #: Emitted on the GUI thread after an export ended (done, cancelled or failed) and the status shows it.
    export_finished = Signal()

    def __init__(self, document: LabelDocument, parent: QWidget | None = None,
                 choose_folder: FolderChooser = dialog_choose_folder) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export labels")
        self.document = document
        self.choose_folder = choose_folder
        self.job.progress_changed.connect(lambda done, total: self.panel.show_progress(done, total))
        self.steps: list[FileStep] = []
        self.notes: list[str] = []
        self._error: str | None = None
        self._running: tuple[ExportChoice, Path] | None = None
        self._build()
        project = document.project
        self._shown = self.choice
        if project is not None:
            self.folder_edit.setText(str(self.choice.default_output(project)))
            count = len(project.labelled_images())
            self.status.setText(f"{count} reviewed label(s) to export.")
        self._update_controls()

    def _build(self) -> None:
        self.format_combo = QComboBox()
        for choice in choices_for(self.document.project):
            self.format_combo.addItem(choice.text, choice.key)
        self.folder_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.alpha_spin = QDoubleSpinBox()
        self.alpha_spin.setRange(0.0, 1.0)
        self.alpha_spin.setSingleStep(0.05)
        self.alpha_spin.setValue(DEFAULT_ALPHA)
        self.alpha_spin.setToolTip("How strongly class colours cover the image (overlay only)")
        self.format_combo.currentIndexChanged.connect(lambda _: self._format_changed())
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        self.form = form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("Output", folder_row)
        form.addRow("Alpha", self.alpha_spin)
        self.progress, self.status = self.panel.progress, self.panel.status
        self.export_button = self.lay_out(form, "Export")
        self.resize(560, 0)

    # -- settings -------------------------------------------------------------------------------------
    @property
    def choice(self) -> ExportChoice:
        return BY_KEY.get(self.format_combo.currentData(), CHOICES[0])

    @property
    def export_format(self) -> str:
        """The chosen format's key: `segstudio export --format`'s value ("voc" for the VOC tree)."""
        return self.choice.key

    def set_export_format(self, key: str) -> None:
        index = self.format_combo.findData(str(getattr(key, "value", key)))
        if index < 0:
            raise ValueError(f"{key} is not offered for this project")
        self.format_combo.setCurrentIndex(index)

    def _format_changed(self) -> None:
        project = self.document.project
        if project is not None and self.choice.output is not self._shown.output:
            self.folder_edit.setText(adapt_output(self.folder_edit.text(), self._shown, self.choice, project))
        self._shown = self.choice
        self._update_controls()

    def _browse(self) -> None:
        output = self.choice.output
        if output is Output.FOLDER:
            folder = self.choose_folder(self.folder_edit.text(), self)
            if folder:
                self.folder_edit.setText(folder)
            return
        chosen = messages.choose_file(self, "Export labels to", FILE_FILTERS[output], save=True,
                                      start=self.folder_edit.text())
        if chosen is not None:
            self.folder_edit.setText(str(chosen))

    def _update_controls(self) -> None:
        running = self.job.is_busy()
        for widget in (self.format_combo, self.folder_edit, self.browse_button):
            widget.setEnabled(not running)
        self.alpha_spin.setEnabled(not running and self.choice.uses_alpha)
        self.form.setRowVisible(self.alpha_spin, self.choice.uses_alpha)
        self.export_button.setEnabled(not running and self.document.project is not None)
        self.cancel_button.setText("Cancel" if running else "Close")

    # -- running --------------------------------------------------------------------------------------
    def _save_edits_first(self) -> bool:
        """Export reads labels from disk: offer to save unsaved edits; False if the user cancels."""
        unsaved = self.document.unsaved_images()
        if not unsaved:
            return True
        answer = messages.ask(self, f"{len(unsaved)} image(s) have unsaved label edits; export reads the saved "
                                    "labels. Save them first?", cancel=True)
        if answer is messages.Answer.CANCEL:
            return False
        return answer is messages.Answer.NO or self.document.save_all()

    def _may_replace(self, out: Path) -> bool | None:
        """For a one-file export: whether an existing file may be replaced (None: the user said no)."""
        if self.choice.output is Output.FOLDER or not out.is_file():
            return False
        answer = messages.ask(self, f"{out} already exists. Replace it?")
        return True if answer is messages.Answer.YES else None

    def start(self) -> bool:
        """Start exporting in the background; False when it could not start."""
        project = self.document.project
        text = self.folder_edit.text().strip()
        if project is None or self.job.is_busy():
            return False
        if not text:
            messages.warning(self, "Choose where to export first.")
            return False
        out, choice = Path(text), self.choice
        overwrite = self._may_replace(out)
        if overwrite is None or not self._save_edits_first():
            return False
        project = self.document.project  # saving may have turned a plain folder into a project
        options = ExportOptions(alpha=self.alpha_spin.value(), overwrite=overwrite)
        self.steps, self.notes, self._error = [], [], None
        self._running = (choice, out)
        self.panel.reset(max(len(project.labelled_images()), 1), "Exporting…")
        self.job.start(lambda cancel: choice.run(project, out, options, cancel), on_yielded=self._on_step,
                       on_returned=self._on_returned, on_errored=self._on_error, on_finished=self._on_finished,
                       progress_of=lambda step: (step.index, step.total))
        self._update_controls()
        return True

    def _on_step(self, step: FileStep) -> None:
        self.steps.append(step)
        self.panel.add_step(step)

    def _on_returned(self, notes: list[str] | None) -> None:
        self.notes = list(notes or [])
        for note in self.notes:
            self.panel.add_line(note)

    def _on_error(self, sentence: str) -> None:
        self._error = sentence

    def _on_finished(self) -> None:
        cancelled = self.job.was_cancelled
        self._update_controls()
        if self._error is not None:
            self.panel.set_summary(f"Export stopped: {plain(self._error)}")
            messages.error(self, plain(self._error))
            self.export_finished.emit()
            return
        self.panel.set_summary(self._summary(cancelled))
        self.export_finished.emit()

    def _summary(self, cancelled: bool) -> str:
        choice, out = self._running or (self.choice, Path(self.folder_edit.text().strip()))
        done = [s for s in self.steps if s.error is None]
        skipped = len(self.steps) - len(done)
        if not self.steps and not cancelled:
            return "The project has no reviewed labels to export."
        if cancelled and choice.output is not Output.FOLDER:
            return f"Cancelled: {out.name} was not written (it is written once every label is done)."
        text = f"{'Cancelled: ' if cancelled else ''}{len(done)} label(s) exported to {out}."
        if skipped:
            text += f" {skipped} skipped (listed below)."
        noted = sum(len(s.notes) for s in self.steps) + len(self.notes)
        if noted:
            text += f" {noted} note(s) below."
        return text
