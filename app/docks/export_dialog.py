"""The export dialog: write the project's reviewed labels as palette, colour or overlay PNGs.

The user picks a format (palette = class indices with the class colours as palette; colour = RGB of
the class colours; overlay = colours blended over the image), an output folder and, for overlays,
the alpha. Export runs `segmodels.labels.export.iter_export` in a JobSlot job with a progress bar;
Cancel stops it between files (files already written stay, each written atomically). Images whose
label or image cannot be read are skipped and counted, never abort the rest.

Export reads the label files on disk, so unsaved edits are offered for saving first. The folder
dialog is one injectable callable (`choose_folder(start, parent) -> str`), so tests need no dialog.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import messages
from app.document.label_document import LabelDocument
from app.jobs.pools import Pool, pool
from app.jobs.slot import JobSlot, cancel_all
from segmodels.labels.export import ExportFormat, ExportStep, iter_export

FolderChooser = Callable[[str, QWidget | None], str]

FORMAT_TEXT = {ExportFormat.PALETTE: "Palette PNG (class indices)",
               ExportFormat.COLOR: "Colour PNG (class colours)",
               ExportFormat.OVERLAY: "Overlay (colours over the image)",
               ExportFormat.INDEX: "Index PNG (grey, class indices)"}
DEFAULT_ALPHA = 0.5


def dialog_choose_folder(start: str, parent: QWidget | None) -> str:
    """The real folder dialog; "" when the user cancels."""
    return QFileDialog.getExistingDirectory(parent, "Export labels to", start)


class ExportDialog(QDialog):
    #: Emitted on the GUI thread after an export ended (done, cancelled or failed) and the status shows it.
    export_finished = Signal()

    def __init__(self, document: LabelDocument, parent: QWidget | None = None,
                 choose_folder: FolderChooser = dialog_choose_folder) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export labels")
        self.document = document
        self.choose_folder = choose_folder
        self.job = JobSlot(pool(Pool.CHECKS), self)  # refuses a second export while one runs
        self.job.progress_changed.connect(self._show_progress)
        self.steps: list[ExportStep] = []
        self._error: str | None = None
        self._build()
        project = document.project
        if project is not None:
            self.folder_edit.setText(str(project.root / "export"))
            count = len(project.labelled_images())
            self.status.setText(f"{count} reviewed label(s) to export.")
        self._update_controls()

    def _build(self) -> None:
        self.format_combo = QComboBox()
        for fmt, text in FORMAT_TEXT.items():
            self.format_combo.addItem(text, fmt.value)  # a str enum would come back as a plain str
        self.folder_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.alpha_spin = QDoubleSpinBox()
        self.alpha_spin.setRange(0.0, 1.0)
        self.alpha_spin.setSingleStep(0.05)
        self.alpha_spin.setValue(DEFAULT_ALPHA)
        self.alpha_spin.setToolTip("How strongly class colours cover the image (overlay only)")
        self.format_combo.currentIndexChanged.connect(lambda _: self._update_controls())
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("Output folder", folder_row)
        form.addRow("Alpha", self.alpha_spin)
        self.progress = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton("Close")
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(520, 0)

    # -- settings -------------------------------------------------------------------------------------
    @property
    def export_format(self) -> ExportFormat:
        return ExportFormat(self.format_combo.currentData())

    def set_export_format(self, fmt: ExportFormat | str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(ExportFormat(fmt).value))

    def _browse(self) -> None:
        folder = self.choose_folder(self.folder_edit.text(), self)
        if folder:
            self.folder_edit.setText(folder)

    def _update_controls(self) -> None:
        running = self.job.is_busy()
        for widget in (self.format_combo, self.folder_edit, self.browse_button):
            widget.setEnabled(not running)
        self.alpha_spin.setEnabled(not running and self.export_format is ExportFormat.OVERLAY)
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

    def start(self) -> bool:
        """Start exporting in the background; False when it could not start."""
        project = self.document.project
        folder = self.folder_edit.text().strip()
        if project is None or self.job.is_busy():
            return False
        if not folder:
            messages.warning(self, "Choose an output folder first.")
            return False
        if not self._save_edits_first():
            return False
        project = self.document.project  # saving may have turned a plain folder into a project
        fmt, alpha = self.export_format, self.alpha_spin.value()
        self.steps, self._error = [], None
        self.progress.setRange(0, max(len(project.labelled_images()), 1))
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        # iter_export does not watch the flag: the worker stops it between files.
        self.job.start(lambda _cancel: iter_export(project, Path(folder), fmt, alpha), on_yielded=self._on_step,
                       on_errored=self._on_error, on_finished=self._on_finished,
                       progress_of=lambda step: (step.index, step.total))
        self._update_controls()
        return True

    def _on_step(self, step: ExportStep) -> None:
        self.steps.append(step)
        self.status.setText(f"{step.index} / {step.total}: {step.image.name}")

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_error(self, sentence: str) -> None:
        self._error = sentence

    def _on_finished(self) -> None:
        cancelled = self.job.was_cancelled
        self._update_controls()
        if self._error is not None:
            self.status.setText(f"Export stopped: {self._error}")
            messages.error(self, self._error)
            self.export_finished.emit()
            return
        written = sum(1 for s in self.steps if s.written is not None)
        skipped = [s for s in self.steps if s.error is not None]
        text = f"{'Cancelled: ' if cancelled else ''}{written} file(s) written to {self.folder_edit.text().strip()}."
        if skipped:
            text += f" {len(skipped)} skipped, e.g. {skipped[0].error}"
        if not self.steps and not cancelled:
            text = "The project has no reviewed labels to export."
        self.status.setText(text)
        self.export_finished.emit()

    def _cancel_or_close(self) -> None:
        if self.job.is_busy():
            self.job.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        """Escape or the window's close button: stop a running export before closing (waiting at most
        CLOSE_BUDGET_S; the file being written is written atomically, so stopping later loses nothing)."""
        cancel_all([self.job])
        super().reject()
