"""A 2000-px brush on a large label: exactly the disk / swept pixels change, one undo step each."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.canvas.tools import ToolController
from app.canvas.view import Canvas
from app.document.label_document import LabelDocument
from segmodels.labels.classes import ClassTable
from segmodels.labels.edits import disk_mask, stroke_segment
from segmodels.labels.project import Project

SIDE = 2600
BRUSH = 2000


@pytest.fixture
def setup(qtbot, tmp_path, messages):
    project = Project.create(tmp_path / "big", ClassTable.from_names(["background", "a", "b"]))
    Image.new("RGB", (SIDE, SIDE), (40, 40, 40)).save(project.images_dir / "big.png")
    label = np.zeros((SIDE, SIDE), np.uint8)
    label[:, SIDE // 2:] = 255  # half background, half unlabelled: the brush changes both
    project.write_label(project.images_dir / "big.png", label)
    document = LabelDocument()
    tools = ToolController(document)
    canvas = Canvas(document, tools)  # the canvas follows the edits (levels, repaint) as in the window
    qtbot.addWidget(canvas)
    canvas.resize(500, 400)
    canvas.show()
    document.open_project(project)
    qtbot.waitUntil(lambda: document.label_map is not None and not document.is_loading)
    tools.set_brush_size(BRUSH)
    document.view.set_active_class(2)
    return document, tools


def place(y0: int, x0: int, mask: np.ndarray) -> np.ndarray:
    out = np.zeros((SIDE, SIDE), bool)
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + mask.shape[0], SIDE), min(x0 + mask.shape[1], SIDE)
    out[top:bottom, left:right] = mask[top - y0:bottom - y0, left - x0:right - x0]
    return out


def test_one_dab_changes_exactly_the_disk_and_one_undo_restores_it(setup):
    document, tools = setup
    before = document.label_map.copy()
    tools.press(1300, 1400)
    tools.release(1300, 1400)
    disk = place(1300 - BRUSH // 2, 1400 - BRUSH // 2, disk_mask(BRUSH))
    assert np.array_equal(document.label_map != before, disk & (before != 2))
    assert (document.label_map[disk] == 2).all()
    assert document.undo_stack.count() == 1
    document.undo()
    assert np.array_equal(document.label_map, before)


def test_a_drag_paints_the_swept_disks_as_one_undo_step(setup):
    document, tools = setup
    before = document.label_map.copy()
    points = [(1300, 1300), (1305, 1309), (1290, 1450), (1290, 1450), (2500, 100)]
    tools.press(*points[0])
    for y, x in points[1:]:
        tools.move(y, x)
    tools.release(*points[-1])
    expected = np.zeros((SIDE, SIDE), bool)
    for a, b in zip(points, points[1:], strict=False):
        expected |= place(*stroke_segment(a, b, BRUSH))
    assert np.array_equal(document.label_map == 2, expected)
    assert np.array_equal(document.label_map[~expected], before[~expected])
    assert document.undo_stack.count() == 1
    document.undo()
    assert np.array_equal(document.label_map, before)
    document.redo()
    assert np.array_equal(document.label_map == 2, expected)


def test_a_brush_grown_during_a_drag_leaves_no_gap(setup):
    document, tools = setup
    tools.set_brush_size(50)
    tools.press(1000, 1000)
    tools.set_brush_size(400)  # the ] key mid-drag: the disk at the last point was only 50 px
    tools.move(1000, 1001)
    tools.release(1000, 1001)
    expected = place(*stroke_segment((1000, 1000), (1000, 1001), 400)) | place(*stroke_segment((1000, 1000),
                                                                                                (1000, 1000), 50))
    assert np.array_equal(document.label_map == 2, expected)
