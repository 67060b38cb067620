"""The note the canvas shows over an open project that has no images: what to put where.

Without it, opening an empty folder left a blank grey window. `EmptyProjectNote(document, canvas)`
follows the document (shown while a project with no images is open, hidden otherwise) and covers the
canvas's viewport without taking its mouse events, so a folder dropped on it still opens.
`nothing_to_predict(project)` is the same advice as one sentence, for Predict.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

from app.document.label_document import LabelDocument
from segmodels.constants import IMAGE_SUFFIXES
from segmodels.errors import describe
from segmodels.labels.project import Project

KINDS = ", ".join(suffix.lstrip(".").upper() for suffix in IMAGE_SUFFIXES if suffix not in (".jpeg", ".tiff"))
# e.g. "PNG, JPG, TIF, BMP, WEBP": the aliases .jpeg and .tiff are opened too but need no mention


def nothing_to_predict(project: Project) -> str:
    return (f"{describe(project.images_dir)} has no images ({KINDS}) to predict: put images there, "
            "then open the folder again (File > Open…, Ctrl+O).")


def advice(project: Project) -> str:
    return (f"There are no images in {describe(project.images_dir)} yet.\n\n"
            f"Put the images to label there ({KINDS}), then open the folder again with File > Open… "
            "(Ctrl+O), or drop a folder of images on this window.")


class EmptyProjectNote(QLabel):
    def __init__(self, document: LabelDocument, canvas: QAbstractScrollArea) -> None:
        super().__init__(canvas)
        self.document, self._canvas = document, canvas
        self.setObjectName("empty_project_note")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMargin(32)
        self.setStyleSheet("color: #d0d0d0; font-size: 14px;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # drops and clicks reach the canvas
        self.hide()
        canvas.installEventFilter(self)
        document.project_changed.connect(self.refresh)
        document.image_changed.connect(self.refresh)

    def refresh(self) -> None:
        project = self.document.project
        empty = project is not None and self.document.image_path is None and not project.image_paths()
        if empty:
            self.setText(advice(project))
            self.setGeometry(self._canvas.viewport().geometry())
        self.setVisible(empty)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self._canvas.viewport().geometry())
        return False
