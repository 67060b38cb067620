"""A big brush's drag repaints once per mouse move: the moved outline and the dab's new pixels in the
same frame (each frame of a 2000-px brush at 100 % costs milliseconds)."""
from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.canvas.tools import ToolController
from app.canvas.view import Canvas
from app.document.label_document import LabelDocument
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project

SIDE = 1200


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event):  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_each_move_of_a_big_brush_drag_is_one_frame(qtbot, tmp_path, messages):
    project = Project.create(tmp_path / "p", ClassTable.from_names(["background", "a"]))
    Image.new("RGB", (SIDE, SIDE), (40, 40, 40)).save(project.images_dir / "im.png")
    project.write_label(project.images_dir / "im.png", np.full((SIDE, SIDE), 255, np.uint8))
    document = LabelDocument()
    tools = ToolController(document)
    canvas = Canvas(document, tools)
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    canvas.show()
    document.open_project(project)
    qtbot.waitUntil(lambda: document.label_map is not None and not document.is_loading)
    canvas.set_zoom(1.0)
    canvas.centerOn(SIDE / 2, SIDE / 2)
    tools.set_brush_size(600)  # drawn as arcs (app/canvas/outline.py)
    document.view.set_active_class(1)
    viewport = canvas.viewport()
    counter = PaintCounter()
    viewport.installEventFilter(counter)
    x, y = 300, 300
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y))
    qtbot.waitUntil(lambda: counter.count > 0)
    frames = []
    for _ in range(5):
        painted = (document.label_map == 1).sum()
        counter.count = 0
        x += 9
        QTest.mouseMove(viewport, QPoint(x, y))
        for _ in range(5):  # everything the move queued (dirty items, repaint requests) runs
            QApplication.processEvents()
        assert (document.label_map == 1).sum() > painted  # the dab changed pixels
        frames.append(counter.count)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y))
    assert frames == [1] * 5
