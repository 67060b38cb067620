"""The validation dock: check the current image's label or the whole project off the GUI thread.

"Validate image" / "Validate project" run `segmodels.validation.run.iter_validate` in the dock's JobSlot
(one FileResult per label file), with a progress bar and Cancel. Each problem becomes a row (file,
kind, message); images with problems are marked invalid in the image list (and un-marked by a later
run that finds them clean). Clicking a problem opens its image (`document.open_image`) and marks
its invalid pixels on the canvas through a `HighlightOverlay`, centred on the first bad pixel.

A line above the results names the class table the labels are checked against and why it is the
one (`segmodels.validation.tables.of_project`): a file valid against one table is invalid against another.

Validation reads the label files on disk (what training and export read); unsaved edits are not
seen until saved. The dock's parts are given explicitly (document, image list, canvas) so tests can
build it around a real window or pieces of one.
"""
from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.canvas.highlight import HighlightOverlay
from app.document.label_document import LabelDocument
from app.jobs.pools import Pool, pool
from app.jobs.slot import JobSlot
from segmodels.labels.project import Project

if TYPE_CHECKING:  # the validator is imported on first use, so it costs nothing at start-up
    from segmodels.validation.report import FileResult, LabelJob, Problem

FILE_COLUMN, KIND_COLUMN, MESSAGE_COLUMN = range(3)
PROBLEM_ROLE = Qt.ItemDataRole.UserRole


class Scope(enum.Enum):
    IMAGE = "image"
    PROJECT = "project"


def jobs_for(project: Project, image: Path | None = None) -> list[LabelJob]:
    """The label files to check: the one of `image` (none if not saved yet), or every label file of
    the project, each paired with the image of the same stem (a label without one is a problem)."""
    from segmodels.validation.targets import project_jobs

    if image is None:
        return project_jobs(project)
    label = project.label_path(image)
    return project_jobs(project, only=label) if label.exists() else []


class ValidationDock(QDockWidget):
    #: Emitted on the GUI thread after a run ended (done, cancelled or failed) and the summary shows it.
    validation_finished = Signal()

    def __init__(self, document: LabelDocument, image_list=None, canvas=None, parent: QWidget | None = None) -> None:
        super().__init__("Validation", parent)
        self.setObjectName("validation_dock")
        self.document, self.image_list, self.canvas = document, image_list, canvas
        self.highlight = HighlightOverlay(canvas) if canvas is not None else None
        self.job = JobSlot(pool(Pool.CHECKS), self)  # refuses a second run while one is going on
        self.job.busy_changed.connect(lambda _busy: self._update_buttons())
        self.results: list[FileResult] = []
        self._marked: set[Path] = set()  # images this dock marked invalid
        self._error: str | None = None
        self._build()
        document.project_changed.connect(self._on_project_changed)
        document.image_changed.connect(self._update_buttons)
        self._show_table()
        self._update_buttons()

    def _build(self) -> None:
        self.image_button = QPushButton("Validate image")
        self.project_button = QPushButton("Validate project")
        self.cancel_button = QPushButton("Cancel")
        self.image_button.setToolTip("Check the saved label of the image on screen")
        self.project_button.setToolTip("Check every label file of the project (in the background)")
        self.image_button.clicked.connect(lambda: self.start(Scope.IMAGE))
        self.project_button.clicked.connect(lambda: self.start(Scope.PROJECT))
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.summary = QLabel("Not run yet.")
        self.summary.setWordWrap(True)
        self.table_label = QLabel("")  # which class table the labels are checked against, and why
        self.table_label.setWordWrap(True)
        self.table_label.setObjectName("validation_class_table")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(("File", "Problem", "Message"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FILE_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(KIND_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(MESSAGE_COLUMN, QHeaderView.ResizeMode.Stretch)  # full text in the tooltip
        self.table.setWordWrap(False)
        self.table.cellClicked.connect(lambda row, _column: self.show_problem(row))
        self.table.cellActivated.connect(lambda row, _column: self.show_problem(row))
        buttons = QHBoxLayout()
        for button in (self.image_button, self.project_button, self.cancel_button):
            buttons.addWidget(button)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.table_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.setWidget(body)

    # -- running ------------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.job.is_busy()

    def start(self, scope: Scope) -> bool:
        """Validate in the background; False when there is nothing to run or a run is going on."""
        project, class_table = self.document.project, self.document.class_table
        if project is None or class_table is None or self.is_running:
            return False
        image = self.document.image_path if scope is Scope.IMAGE else None
        if scope is Scope.IMAGE and image is None:
            return False
        jobs = jobs_for(project, image)
        self._clear_results()
        if not jobs:
            self.summary.setText("This image has no saved label yet: nothing to check." if image is not None
                                 else "The project has no label files yet: nothing to check.")
            return False
        from segmodels.formats.encodings import LabelEncoding
        from segmodels.validation.report import ValidationOptions
        from segmodels.validation.run import iter_validate

        self._show_table()
        options = ValidationOptions(class_table, binary=project.label_encoding is LabelEncoding.BINARY)
        self.progress.setRange(0, len(jobs))
        self.progress.setValue(0)
        self._error: str | None = None
        self.summary.setText(f"Checking {len(jobs)} label file(s)…")
        # iter_validate does not watch the flag: the worker stops it between label files.
        return self.job.start(lambda _cancel: iter_validate(jobs, options), on_yielded=self._on_result,
                              on_errored=self._on_error, on_finished=self._on_finished)

    def cancel(self) -> None:
        self.job.cancel()

    def shutdown(self) -> None:
        """Stop a running check (the window is closing). No wait: a check only reads files, so it
        can end on its own after the window is gone (its late results are dropped)."""
        self.job.discard()

    def _on_result(self, result: FileResult) -> None:
        if self.job.is_cancelled():
            return  # queued results of a cancelled run (e.g. another project was opened)
        self.results.append(result)
        self.progress.setValue(result.index)
        for problem in result.problems:
            self._add_row(problem, result.image)
        self._mark_image(result)

    def _on_error(self, sentence: str) -> None:
        self._error = sentence

    def _on_finished(self) -> None:
        cancelled = self.job.was_cancelled
        self._update_buttons()
        if self._error is not None:
            self.summary.setText(f"Validation stopped: {self._error}")
            self.validation_finished.emit()
            return
        problems = sum(len(r.problems) for r in self.results)
        bad = sum(1 for r in self.results if r.problems)
        text = f"{len(self.results)} label file(s) checked"
        text += f": {problems} problem(s) in {bad} file(s)." if problems else ": all valid."
        self.summary.setText(("Cancelled. " if cancelled else "") + text)
        self.validation_finished.emit()

    # -- showing results ----------------------------------------------------------------------------
    def _clear_results(self) -> None:
        self.results = []
        self.table.setRowCount(0)
        if self.highlight is not None:
            self.highlight.clear()

    def _add_row(self, problem: Problem, image: Path | None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        file_item = QTableWidgetItem(Path(problem.file).name)
        file_item.setData(PROBLEM_ROLE, (problem, image))
        file_item.setToolTip(problem.file)
        message = QTableWidgetItem(problem.message)
        message.setToolTip(problem.message)
        self.table.setItem(row, FILE_COLUMN, file_item)
        self.table.setItem(row, KIND_COLUMN, QTableWidgetItem(problem.kind.value.replace("_", " ")))
        self.table.setItem(row, MESSAGE_COLUMN, message)

    def _mark_image(self, result: FileResult) -> None:
        if self.image_list is None or result.image is None:
            return
        image = Path(result.image)
        if result.problems:
            self.image_list.mark_invalid(image, result.problems[0].message)
            self._marked.add(image)
        elif image in self._marked and self.document.project is not None:
            self._marked.discard(image)
            self.image_list.set_status(image, self.document.project.status(image))

    def problem_at(self, row: int) -> tuple[Problem, Path | None]:
        return self.table.item(row, FILE_COLUMN).data(PROBLEM_ROLE)

    def show_problem(self, row: int) -> bool:
        """Open the problem's image and mark its invalid pixels; False if the image cannot be shown."""
        problem, image = self.problem_at(row)
        if image is None:
            self.summary.setText(f"{Path(problem.file).name} has no image to show.")
            return False
        if self.document.image_path != Path(image) and not self.document.open_image(Path(image)):
            return False
        mask = self._invalid_mask(problem)
        if self.highlight is not None:
            if mask is None or not mask.any():
                self.highlight.clear()
            else:
                self.highlight.show_mask(mask)
                if problem.first is not None and self.canvas is not None:
                    y, x = problem.first
                    self.canvas.centerOn(QPointF(x + 0.5, y + 0.5))
        return True

    def _invalid_mask(self, problem: Problem) -> np.ndarray | None:
        """Invalid pixels of the shown label: from the label map in memory (what the canvas shows),
        else from the file (colour-coded or one-hot labels the document does not load)."""
        from segmodels.validation.decode import index_invalid_mask
        from segmodels.validation.report import PIXEL_KINDS
        from segmodels.validation.run import invalid_pixels

        if problem.kind not in PIXEL_KINDS:
            return None
        label_map, class_table = self.document.label_map, self.document.class_table
        if label_map is None or class_table is None:
            return None
        mask = index_invalid_mask(label_map, len(class_table))
        if mask.any():
            return mask
        from_file = invalid_pixels(problem.file, class_table)
        return from_file if from_file is not None and from_file.shape == label_map.shape else None

    # -- state ----------------------------------------------------------------------------------------
    def _on_project_changed(self) -> None:
        self.cancel()
        self._marked.clear()
        self._clear_results()
        self.summary.setText("Not run yet.")
        self._show_table()
        self._update_buttons()

    def _show_table(self) -> None:
        """Name the class table the labels are checked against and why it is the one (the document's,
        edits included; where it came from: the project's origin)."""
        project, class_table = self.document.project, self.document.class_table
        if project is None or class_table is None:
            self.table_label.setText("")
            return
        from segmodels.validation.tables import of_project

        named = of_project(project, class_table)
        self.table_label.setText(named.sentence())
        self.table_label.setToolTip(", ".join(named.table.names))

    def _update_buttons(self) -> None:
        running = self.is_running
        has_project = self.document.project is not None
        self.image_button.setEnabled(not running and self.document.image_path is not None)
        self.project_button.setEnabled(not running and has_project)
        self.cancel_button.setEnabled(running)
        if not running and self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
