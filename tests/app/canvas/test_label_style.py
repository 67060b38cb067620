"""How labels are drawn (app/canvas/label_style.py): the contour view shows outlines only, unlabelled
pixels are tinted apart from a black background class, and the View menu's O / U toggles follow the
style both ways. Checked on the rendered viewport, not on internal state."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor

from app.canvas.tools import ToolController
from app.canvas.view import Canvas
from app.document.label_document import LabelDocument
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project

SIDE = 40
ZOOM = 4.0


@pytest.fixture
def canvas(qtbot, tmp_path, messages):
    """A black 40 x 40 image; label: class 1 square at rows/cols 10..29, class 0 (black) in the
    left half elsewhere, unlabelled (255) in the right half elsewhere."""
    project = Project.create(tmp_path / "proj", ClassTable.from_names(["background", "thing"],
                                                                      [(0, 0, 0), (0, 200, 0)]))
    path = project.images_dir / "dark.png"
    Image.fromarray(np.zeros((SIDE, SIDE, 3), np.uint8)).save(path)
    label = np.full((SIDE, SIDE), 255, np.uint8)
    label[:, : SIDE // 2] = 0
    label[10:30, 10:30] = 1
    project.write_label(path, label)
    document = LabelDocument()
    view = Canvas(document, ToolController(document))
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    qtbot.waitExposed(view)
    document.open_project(project)
    view.resetTransform()
    view.scale(ZOOM, ZOOM)
    view.centerOn(SIDE / 2, SIDE / 2)
    return view


def pixel(canvas: Canvas, y: float, x: float, down: int = 0) -> QColor:
    """The rendered colour at image point (y, x), or `down` screen pixels below it."""
    point = canvas.mapFromScene(x, y)
    return canvas.viewport().grab().toImage().pixelColor(point.x(), point.y() + down)


def test_contours_draw_outlines_and_leave_the_inside_clear(canvas):
    filled_inside = pixel(canvas, 20, 20)
    canvas.label_style.set_contours(True)
    outline = pixel(canvas, 10, 25)                 # the square's top row, first screen pixel of it
    inside = pixel(canvas, 20, 20)
    below_outline = pixel(canvas, 10, 25, down=2)  # same image pixel, lower screen pixel: 1 px thin
    assert outline.green() > 150 and outline != inside
    assert inside.getRgb()[:3] == (0, 0, 0) and filled_inside.green() > 50  # filled before, clear now
    assert below_outline.getRgb()[:3] == (0, 0, 0)  # zoomed 4x, the outline is still one screen pixel
    canvas.label_style.set_contours(False)
    assert pixel(canvas, 20, 20) == filled_inside


def test_unlabelled_differs_from_a_black_background_class_on_a_black_image(canvas):
    background, unlabelled = pixel(canvas, 2, 5), pixel(canvas, 2, 35)
    assert canvas.label_style.show_unlabelled  # on by default
    assert background.getRgb()[:3] == (0, 0, 0) and unlabelled.lightness() > 40
    canvas.label_style.set_show_unlabelled(False)
    assert pixel(canvas, 2, 35) == pixel(canvas, 2, 5)  # what the user saw before: indistinguishable


def test_an_eraser_stroke_across_the_background_shows(canvas):
    from app.canvas.tools import Tool

    canvas.tools.set_tool(Tool.ERASER)
    canvas.tools.set_brush_size(3)
    before = pixel(canvas, 35, 5)
    canvas.tools.press(35, 2)
    canvas.tools.move(35, 8)
    canvas.tools.release(35, 8)
    assert canvas.document.label_map[35, 5] == 255
    assert pixel(canvas, 35, 5) != before
