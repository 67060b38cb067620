"""Painting on the shown proposal edits the proposal (accepted first, one undo step with the stroke),
and the Accept region tool takes the proposal's region under a click, through real mouse events."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.canvas.tools import Tool, ToolController
from app.canvas.view import Canvas
from app.document.label_document import LabelDocument, ViewMode
from segmodels.constants import IGNORE_INDEX
from support.canvas import open_canvas
from support.projects import HEIGHT, WIDTH, make_project


@pytest.fixture
def setup(qtbot, tmp_path, messages):
    """Image 1 of the project: no label, a proposal of class 2 everywhere except a class-1 square."""
    project = make_project(tmp_path / "proj", count=2, labelled=1, predicted=1)
    image = project.image_paths()[1]
    proposal = np.full((HEIGHT, WIDTH), 2, np.uint8)
    proposal[10:20, 10:20] = 1
    project.write_prediction(image, proposal)
    document, tools, canvas = open_canvas(qtbot, project, image=image)
    document.view.set_view_mode(ViewMode.PREDICTION)  # as the window shows an unreviewed image
    return document, tools, canvas, proposal


def click(canvas: Canvas, y: int, x: int) -> QPoint:
    point = canvas.mapFromScene(x + 0.5, y + 0.5)
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    return point


def test_a_brush_stroke_on_the_proposal_keeps_the_proposal(setup):
    document, tools, canvas, proposal = setup
    assert (document.label_map == IGNORE_INDEX).all()
    tools.set_brush_size(1)
    document.view.set_active_class(0)
    click(canvas, 30, 50)
    expected = proposal.copy()
    expected[30, 50] = 0
    assert np.array_equal(document.label_map, expected)  # the proposal, plus the stroke
    assert document.view.view_mode is ViewMode.LABEL
    assert document.undo_stack.count() == 1 and "Accept prediction" in document.undo_stack.text(0)
    document.undo()
    assert (document.label_map == IGNORE_INDEX).all()  # one step takes both back


def test_fill_and_eraser_on_the_proposal_edit_the_proposal(setup):
    document, tools, canvas, proposal = setup
    tools.set_tool(Tool.FILL)
    document.view.set_active_class(0)
    click(canvas, 15, 15)  # inside the proposal's class-1 square
    expected = proposal.copy()
    expected[10:20, 10:20] = 0
    assert np.array_equal(document.label_map, expected) and document.undo_stack.count() == 1
    document.undo()
    document.view.set_view_mode(ViewMode.PREDICTION)
    tools.set_tool(Tool.ERASER)
    tools.set_brush_size(1)
    click(canvas, 0, 0)
    expected = proposal.copy()
    expected[0, 0] = IGNORE_INDEX
    assert np.array_equal(document.label_map, expected)


def test_a_stroke_on_the_proposal_never_replaces_labelled_pixels(setup):
    document, tools, canvas, proposal = setup
    document.view.set_view_mode(ViewMode.LABEL)
    document.apply_mask(0, 0, np.ones((5, 5), bool), 0, "Brush")  # the person's own work
    document.view.set_view_mode(ViewMode.PREDICTION)
    tools.set_brush_size(1)
    document.view.set_active_class(1)
    click(canvas, 30, 50)
    assert (document.label_map[:5, :5] == 0).all()  # kept
    assert document.label_map[30, 50] == 1 and document.label_map[39, 59] == 2  # stroke + proposal


def test_a_stroke_in_the_label_view_does_not_accept(setup):
    document, tools, canvas, _ = setup
    document.view.set_view_mode(ViewMode.LABEL)
    tools.set_brush_size(1)
    click(canvas, 30, 50)
    assert int((document.label_map != IGNORE_INDEX).sum()) == 1


def test_accept_region_takes_the_proposals_region_under_the_click(setup, qtbot):
    document, tools, canvas, proposal = setup
    tools.set_tool(Tool.ACCEPT_REGION)
    notes = []
    document.status_message.connect(notes.append)
    click(canvas, 12, 12)
    expected = np.full_like(proposal, IGNORE_INDEX)
    expected[10:20, 10:20] = 1
    assert np.array_equal(document.label_map, expected)
    assert document.view.view_mode is ViewMode.PREDICTION  # the next region can be picked on the proposal
    assert "Accepted 100 pixel(s) of class 1 cat" in notes[-1]
    click(canvas, 0, 0)  # the background-like class-2 region around it
    assert (document.label_map == proposal).all() and document.undo_stack.count() == 2
    click(canvas, 0, 0)  # again: nothing changes, no undo step
    assert document.undo_stack.count() == 2 and "already" in notes[-1]


def test_accept_region_without_a_proposal_says_so(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "p", count=1, labelled=0)
    document = LabelDocument()
    tools = ToolController(document)
    document.open_project(project)
    notes = []
    document.status_message.connect(notes.append)
    tools.set_tool(Tool.ACCEPT_REGION)
    tools.press(3, 3)
    tools.release(3, 3)
    assert (document.label_map == IGNORE_INDEX).all() and "no proposal" in notes[-1]


def test_a_proposal_with_classes_the_project_lacks_is_named_when_accepted(setup):
    document, tools, canvas, proposal = setup
    eleven_class = proposal.copy()
    eleven_class[0:2, 0:2] = 5  # an 11-class model's output in a 3-class project
    Image.fromarray(eleven_class, mode="L").save(document.project.prediction_path(document.image_path))
    document.reload_prediction()
    warnings, errors = [], []
    document.warning.connect(warnings.append)
    document.error.connect(errors.append)
    assert document.accept_prediction()
    assert any("class index 5" in text and "2 dog" in text for text in warnings)
    assert not document.save()  # and saving refuses it, naming the index and the classes
    assert any("class index 5" in text and "0 background, 1 cat, 2 dog" in text for text in errors)
    assert not document.project.label_path(document.image_path).exists()
