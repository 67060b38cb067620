"""The lower half of the import and export dialogs: a progress bar, a status line, and one line per
skipped file or note, so a long job shows where it is and, at the end, exactly what it left out.

The panel only shows; the dialog owns the job (a JobSlot) and feeds it `FileStep`s and sentences.
Sentences pass through `app.jobs.steps.plain` (the format code words them for the command line).
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget, QProgressBar, QVBoxLayout, QWidget

from app.jobs.steps import FileStep, plain

#: Lines kept in the list: a job over a broken folder of 100,000 files must not grow the GUI without bound.
MAX_LINES = 2000


class ProgressPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.details = QListWidget()
        self.details.setWordWrap(True)
        self.details.setVisible(False)  # shown with its first line
        self.details.setMinimumHeight(90)
        self.hidden_lines = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.details, 1)

    def reset(self, total: int, text: str) -> None:
        """Before a job: `total` steps (0: unknown, a busy bar), no lines."""
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.details.clear()
        self.details.setVisible(False)
        self.hidden_lines = 0
        self.status.setText(text)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def finish_progress(self) -> None:
        """A job of unknown length ended: a full bar instead of a busy one."""
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)

    def add_step(self, step: FileStep) -> None:
        if step.error is not None:
            self.add_line(f"Skipped: {step.error}")
        for note in step.notes:
            self.add_line(note)
        if step.index:
            self.status.setText(f"{step.index} / {step.total}: {step.name}")

    def add_line(self, sentence: str) -> None:
        if self.details.count() >= MAX_LINES:
            self.hidden_lines += 1
            return
        self.details.addItem(plain(sentence))
        self.details.setVisible(True)

    def lines(self) -> list[str]:
        return [self.details.item(row).text() for row in range(self.details.count())]

    def set_summary(self, text: str) -> None:
        """The closing line (its sentences already `plain`), with the count of lines not listed."""
        more = f" ({self.hidden_lines} more lines not listed.)" if self.hidden_lines else ""
        self.status.setText(text + more)
