"""Protected labels, applied once in the document's edit path: brush, fill, polygon and GrabCut
leave labelled (or locked-class) pixels unchanged; undo still restores everything."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.canvas.tools import Tool, ToolController
from app.document.label_document import LabelDocument
from segmodels.constants import IGNORE_INDEX
from support.canvas import disc_project
from support.projects import make_project


@pytest.fixture
def labelled(qtbot, tmp_path):
    """60 x 40 image: left half class 1, right half class 0, a band of rows 10-19 unlabelled."""
    document = LabelDocument()
    document.open_project(make_project(tmp_path / "p", count=1))
    with document.edit("setup") as stroke:
        stroke.paint(10, 0, np.ones((10, 60), bool), IGNORE_INDEX)
    document.undo_stack.clear()
    tools = ToolController(document)
    document.view.set_active_class(2)
    return document, tools


def brush(tools):
    tools.set_tool(Tool.BRUSH)
    tools.set_brush_size(9)
    tools.press(15, 5)
    tools.move(15, 55)
    tools.move(35, 55)
    tools.release(35, 5)


def fill(tools):
    tools.set_tool(Tool.FILL)
    tools.press(15, 30)   # the unlabelled band
    tools.press(30, 10)   # class 1


def polygon(tools):
    tools.set_tool(Tool.POLYGON)
    for y, x in [(2, 2), (2, 57), (37, 57), (37, 2)]:
        tools.press(y, x)
        tools.release(y, x)
    tools.key(Qt.Key.Key_Return)


@pytest.mark.parametrize("use", [brush, fill, polygon], ids=["brush", "fill", "polygon"])
def test_protected_mode_paints_only_unlabelled_pixels(labelled, use):
    document, tools = labelled
    before = document.label_map.copy()
    document.protection.set_unlabelled_only(True)
    use(tools)
    after = document.label_map
    assert np.array_equal(after[before != IGNORE_INDEX], before[before != IGNORE_INDEX])
    assert (after[before == IGNORE_INDEX] == 2).any()
    assert document.undo_stack.count() >= 1
    document.undo()
    document.undo()
    assert np.array_equal(document.label_map, before)


@pytest.mark.parametrize("use", [brush, fill, polygon], ids=["brush", "fill", "polygon"])
def test_locked_class_is_never_overwritten(labelled, use):
    document, tools = labelled
    before = document.label_map.copy()
    document.protection.set_class_locked(1, True)
    use(tools)
    after = document.label_map
    assert np.array_equal(after[before == 1], before[before == 1])
    if use is not fill:  # the fill's second click lands on class 1: nothing to fill there
        assert (after[before == 0] == 2).any()


def test_eraser_and_unprotected_edits(labelled):
    document, tools = labelled
    document.protection.set_class_locked(0, True)
    tools.set_tool(Tool.ERASER)
    tools.press(30, 0)
    tools.move(30, 59)
    tools.release()
    row = document.label_map[30]
    assert (row[30:] == 0).all() and (row[:30] == IGNORE_INDEX).any()  # class 0 kept, class 1 erased
    everything = np.full((40, 60), 2, np.uint8)
    assert document.apply_mask(0, 0, np.ones((40, 60), bool), everything, "Restore", protected=False)
    assert (document.label_map == 2).all()  # recovery restores bypass protection


def test_locks_are_forgotten_with_the_project(labelled, tmp_path):
    document, _ = labelled
    document.protection.set_class_locked(1, True)
    document.protection.set_unlabelled_only(True)
    document.open_project(make_project(tmp_path / "q", count=1))
    assert document.protection.locked == frozenset() and document.protection.unlabelled_only


def test_grabcut_obeys_protection(qtbot, tmp_path, messages):
    project, disc = disc_project(tmp_path / "d")
    document = LabelDocument()
    document.open_project(project)
    with document.edit("setup") as stroke:   # the disc's left half is already class 2
        stroke.paint(0, 0, np.ones((120, 80), bool), 2)
    tools = ToolController(document)
    document.view.set_active_class(1)
    document.protection.set_unlabelled_only(True)
    tools.set_tool(Tool.GRABCUT)
    tool = tools.interactive[Tool.GRABCUT]
    tools.press(25, 45)
    tools.move(95, 115)
    tools.release(95, 115)
    qtbot.waitUntil(lambda: tool.preview is not None and not tool.computing, timeout=10000)
    tools.key(Qt.Key.Key_Return)
    label_map = document.label_map
    assert (label_map[:, :80] == 2).all()
    assert (label_map[:, 80:][disc[:, 80:]] == 1).mean() > 0.9
