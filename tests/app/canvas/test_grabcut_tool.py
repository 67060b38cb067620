"""The GrabCut prompt tool on a synthetic image: a dragged box finds the disc (computed in a worker,
previewed, committed by Enter as one undo step), a negative click removes a region, Esc cancels,
and a backend plugs in as one function."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.canvas.prompt_tool import PromptTool
from app.canvas.tools import Tool
from support.canvas import click, disc_project, drag, open_canvas

SHIFT = Qt.KeyboardModifier.ShiftModifier


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


@pytest.fixture
def grabcut(qtbot, tmp_path, messages):
    def make(discs=(((60, 80), 30),)):
        project, truth = disc_project(tmp_path / "p", discs)
        document, tools, canvas = open_canvas(qtbot, project, 3.0)
        tools.set_tool(Tool.GRABCUT)
        document.view.set_active_class(1)
        return document, tools, canvas, truth
    return make


def wait_preview(qtbot, tool):
    qtbot.waitUntil(lambda: not tool.computing and tool.preview is not None, timeout=10000)


def test_box_previews_the_disc_and_enter_commits_one_undo_step(qtbot, grabcut):
    document, tools, canvas, disc = grabcut()
    tool = tools.interactive[Tool.GRABCUT]
    drag(canvas, [(25, 45), (60, 80), (95, 115)])
    assert canvas.tool_overlays.box.isVisible() and tool.computing  # the worker computes it
    wait_preview(qtbot, tool)
    assert canvas.tool_overlays.preview.isVisible()
    assert (document.label_map == 255).all()  # a preview, not an edit
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert iou(document.label_map == 1, disc) > 0.9
    assert document.undo_stack.count() == 1 and document.undo_stack.text(0) == "GrabCut"
    assert not canvas.tool_overlays.preview.isVisible()
    document.undo()
    assert (document.label_map == 255).all()


def test_negative_click_removes_a_region(qtbot, grabcut):
    document, tools, canvas, discs = grabcut((((60, 45), 22), ((60, 115), 22)))
    tool = tools.interactive[Tool.GRABCUT]
    drag(canvas, [(30, 15), (90, 145)])
    wait_preview(qtbot, tool)
    y0, x0, mask = tool.preview
    assert mask[60 - y0, 45 - x0] and mask[60 - y0, 115 - x0]
    click(canvas, 60, 115, SHIFT)
    wait_preview(qtbot, tool)
    calls = []
    backend = tool.backend
    tool.backend = lambda image, prompt: calls.append(prompt) or backend(image, prompt)
    click(canvas, 10, 10)  # a double click, as a mouse makes it: press, release, double-click, release
    QTest.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      canvas.mapFromScene(10.5, 10.5))
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1)
    assert calls[-1].positives == ()  # its first press was not taken as a click
    labelled = document.label_map == 1
    assert iou(labelled[:, :80], discs[:, :80]) > 0.9 and not labelled[:, 80:].any()
    assert document.undo_stack.count() == 1


def test_escape_cancels_and_a_late_result_is_dropped(qtbot, grabcut):
    document, tools, canvas, _ = grabcut()
    tool = tools.interactive[Tool.GRABCUT]
    release = threading.Event()
    calls = []

    def slow_backend(image, prompt):
        calls.append(prompt)
        release.wait(5)
        return 0, 0, np.ones((5, 5), bool)

    tool.backend = slow_backend
    drag(canvas, [(25, 45), (95, 115)])
    qtbot.waitUntil(lambda: bool(calls))
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    release.set()
    qtbot.waitUntil(lambda: not tool._workers, timeout=5000)
    assert tool.preview is None and not tool.is_open and not canvas.tool_overlays.box.isVisible()
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert document.undo_stack.count() == 0


def test_enter_while_computing_commits_when_the_mask_arrives(qtbot, grabcut):
    document, tools, canvas, disc = grabcut()
    drag(canvas, [(25, 45), (95, 115)])
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1, timeout=10000)
    assert iou(document.label_map == 1, disc) > 0.9


def test_a_backend_is_one_function(qtbot, grabcut):
    document, tools, canvas, _ = grabcut()
    seen = []

    def square_backend(image, prompt):
        seen.append((image.shape, prompt))
        y0, x0, y1, x1 = prompt.box
        return y0, x0, np.ones((y1 - y0, x1 - x0), bool)

    tools.register(Tool.GRABCUT, PromptTool(document, square_backend, "Square", tools))
    tool = tools.interactive[Tool.GRABCUT]
    drag(canvas, [(10, 10), (19, 29)])
    wait_preview(qtbot, tool)
    click(canvas, 15, 15)
    qtbot.waitUntil(lambda: len(seen) == 2 and not tool.computing)
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert seen[1][1].positives == ((15, 15),) and seen[0][0] == (120, 160, 3)
    assert (document.label_map[10:20, 10:30] == 1).all() and (document.label_map == 1).sum() == 200
