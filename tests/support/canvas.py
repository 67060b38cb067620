"""A canvas on a small project for the tool tests, and mouse helpers in image coordinates."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.canvas.tools import ToolController
from app.canvas.view import Canvas
from app.document.label_document import LabelDocument
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from support.labels import disc_scene


def open_canvas(qtbot, project: Project, scale: float = 4.0,
                image: Path | None = None) -> tuple[LabelDocument, ToolController, Canvas]:
    """A shown canvas on `project`'s `image` (default its first) at `scale` screen pixels per image pixel."""
    document = LabelDocument()
    tools = ToolController(document)
    canvas = Canvas(document, tools)
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.show()
    qtbot.waitExposed(canvas)
    document.open_project(project, image)
    canvas.set_zoom(scale)
    return document, tools, canvas


def disc_project(root: Path, discs=(((60, 80), 30),), height: int = 120,
                 width: int = 160) -> tuple[Project, np.ndarray]:
    """One dark noisy image with bright discs ((y, x), radius), unlabelled; and the discs' mask."""
    project = Project.create(root, ClassTable.from_names(["background", "cat", "dog"]))
    image, truth = disc_scene(height, width, discs)
    Image.fromarray(image).save(project.images_dir / "discs.png")
    return project, truth


def view_point(canvas: Canvas, y: float, x: float) -> QPoint:
    return canvas.mapFromScene(x + 0.5, y + 0.5)


def click(canvas: Canvas, y: int, x: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifier, view_point(canvas, y, x))


def drag(canvas: Canvas, points: list[tuple[int, int]], modifier=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = canvas.viewport()
    screen = [view_point(canvas, y, x) for y, x in points]
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, screen[0])
    for point in screen[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, screen[-1])


def fill_poly(shape: tuple[int, int], points: list[tuple[int, int]]) -> np.ndarray:
    """cv2.fillPoly on the whole image: the reference the tools are checked against."""
    full = np.zeros(shape, np.uint8)
    cv2.fillPoly(full, [np.array([(x, y) for y, x in points], np.int32)], 1, cv2.LINE_8)
    return full.astype(bool)
