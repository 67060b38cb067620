"""The polygon and lasso tool through real mouse and key events: exact pixels (cv2.fillPoly), Backspace,
Esc, Enter, double click, the subtract modifier, lasso drags, at more than one zoom; one undo step each."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.canvas.tools import Tool
from segmodels.constants import IGNORE_INDEX
from support.canvas import click, drag, fill_poly, open_canvas, view_point
from support.projects import make_project

SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
VERTICES = [(5, 8), (6, 50), (30, 44), (35, 12)]


@pytest.fixture(params=[4.0, 9.5], ids=["zoom4", "zoom9.5"])
def polygon(request, qtbot, tmp_path, messages):
    document, tools, canvas = open_canvas(qtbot, make_project(tmp_path / "p", count=1), request.param)
    tools.set_tool(Tool.POLYGON)
    document.view.set_active_class(2)
    return document, tools, canvas


def key(canvas, key):
    QTest.keyClick(canvas, key)


def test_clicked_vertices_and_enter_fill_exactly_the_polygon(polygon):
    document, tools, canvas = polygon
    before = document.label_map.copy()
    for y, x in VERTICES:
        click(canvas, y, x)
    overlay = canvas.tool_overlays.polygon
    assert document.undo_stack.count() == 0 and overlay.isVisible()  # nothing painted while open
    assert overlay.path().elementCount() == len(VERTICES) + 1  # with the closing edge
    key(canvas, Qt.Key.Key_Return)
    expected = before.copy()
    expected[fill_poly(before.shape, VERTICES)] = 2
    assert np.array_equal(document.label_map, expected)
    assert document.undo_stack.count() == 1 and not overlay.isVisible()
    document.undo()
    assert np.array_equal(document.label_map, before)


def test_backspace_removes_the_last_vertex_and_double_click_closes(polygon):
    document, tools, canvas = polygon
    before = document.label_map.copy()
    for y, x in [*VERTICES, (20, 2)]:
        click(canvas, y, x)
    key(canvas, Qt.Key.Key_Backspace)
    QTest.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      view_point(canvas, *VERTICES[-1]))
    expected = before.copy()
    expected[fill_poly(before.shape, VERTICES)] = 2
    assert np.array_equal(document.label_map, expected)
    assert document.undo_stack.count() == 1


def test_escape_cancels_without_an_undo_step(polygon):
    document, tools, canvas = polygon
    before = document.label_map.copy()
    for y, x in VERTICES:
        click(canvas, y, x)
    key(canvas, Qt.Key.Key_Escape)
    assert not canvas.tool_overlays.polygon.isVisible()
    key(canvas, Qt.Key.Key_Return)  # nothing open any more
    assert np.array_equal(document.label_map, before) and document.undo_stack.count() == 0


@pytest.mark.parametrize("modifier", [SHIFT, CTRL], ids=["shift", "ctrl"])
def test_modifier_subtracts_to_unlabelled(polygon, modifier):
    document, tools, canvas = polygon
    before = document.label_map.copy()
    click(canvas, *VERTICES[0], modifier)
    for y, x in VERTICES[1:]:
        click(canvas, y, x)
    assert tools.interactive[Tool.POLYGON].subtract
    key(canvas, Qt.Key.Key_Enter)
    expected = before.copy()
    expected[fill_poly(before.shape, VERTICES)] = IGNORE_INDEX
    assert np.array_equal(document.label_map, expected)
    assert document.undo_stack.count() == 1 and document.undo_stack.text(0) == "Subtract polygon"


def test_lasso_drag_fills_the_freehand_path_on_release(polygon):
    document, tools, canvas = polygon
    before = document.label_map.copy()
    path = [(4, 4), (4, 20), (10, 34), (25, 30), (33, 10), (20, 3)]
    drag(canvas, path)
    expected = before.copy()
    expected[fill_poly(before.shape, path)] = 2
    assert np.array_equal(document.label_map, expected)
    assert document.undo_stack.count() == 1 and not tools.interactive[Tool.POLYGON].is_open


def test_switching_tool_drops_an_open_polygon(polygon):
    document, tools, canvas = polygon
    for y, x in VERTICES[:2]:
        click(canvas, y, x)
    tools.set_tool(Tool.BRUSH)
    assert not tools.interactive[Tool.POLYGON].is_open and document.undo_stack.count() == 0


def test_rubber_band_follows_the_mouse(polygon):
    document, tools, canvas = polygon
    for y, x in VERTICES[:2]:
        click(canvas, y, x)
    QTest.mouseMove(canvas.viewport(), view_point(canvas, 30, 30))
    path = canvas.tool_overlays.polygon.path()
    assert path.elementCount() == 4  # two vertices, the band to the cursor, the closing edge
    assert (path.elementAt(2).x, path.elementAt(2).y) == (30.5, 30.5)


def test_polygon_on_the_shown_proposal_takes_it_in_first(qtbot, tmp_path, messages):
    from app.document.view_state import ViewMode

    project = make_project(tmp_path / "p", count=1, labelled=0, predicted=1)
    document, tools, canvas = open_canvas(qtbot, project)
    document.view.set_view_mode(ViewMode.PREDICTION)
    tools.set_tool(Tool.POLYGON)
    document.view.set_active_class(1)
    for y, x in VERTICES:
        click(canvas, y, x)
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    inside = fill_poly(document.label_map.shape, VERTICES)
    assert (document.label_map[inside] == 1).all() and (document.label_map[~inside] == 2).all()
    assert document.undo_stack.count() == 1 and document.view.view_mode is ViewMode.LABEL
