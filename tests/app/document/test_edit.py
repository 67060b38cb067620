"""Grouped edits: `with document.edit(text) as stroke:` is one undo step holding only the changed
pixels; an exception inside rolls the label map back bit for bit, leaves no undo step and propagates;
nothing is painted while no image is shown or another one loads."""
from __future__ import annotations

import numpy as np
import pytest

from app.document.label_document import LabelDocument
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=2, labelled=1, predicted=1)


@pytest.fixture
def document(qtbot, project):
    document = LabelDocument()
    document.open_project(project)
    return document


def test_edit_commits_one_undo_step_of_changed_pixels(qtbot, document):
    before = document.label_map.copy()
    changed_boxes = []
    document.label_changed.connect(lambda *box: changed_boxes.append(box))
    with qtbot.waitSignal(document.edit_committed) as committed:
        with document.edit("Fill") as stroke:
            stroke.paint(0, 0, np.ones((4, 4), bool), 2)
            stroke.paint(10, 10, np.ones((3, 3), bool), 0)
            assert document.undo_stack.count() == 0  # not committed until the block ends
    assert committed.args == [document.image_path]
    assert document.undo_stack.count() == 1 and document.undo_stack.text(0) == "Fill"
    assert changed_boxes == [(0, 0, 4, 4), (10, 10, 13, 13)]
    command = document.undo_stack.command(0)
    changed = int((document.label_map != before).sum())
    assert sum(atom.pixel_count for atom in command.atoms) == changed  # only what changed is stored
    document.undo()
    assert np.array_equal(document.label_map, before)
    document.redo()
    assert (document.label_map[:4, :4] == 2).all() and (document.label_map[10:13, 10:13] == 0).all()


def test_an_exception_rolls_back_bit_for_bit_and_propagates(document):
    document.apply_mask(20, 20, np.ones((2, 2), bool), 2, "Fill")  # an earlier step stays
    before = document.label_map.copy()
    with pytest.raises(ZeroDivisionError):
        with document.edit("Fill") as stroke:
            stroke.paint(0, 0, np.ones((6, 6), bool), 2)
            stroke.paint(3, 3, np.ones((6, 6), bool), 0)  # overlaps the first dab
            assert not np.array_equal(document.label_map, before)
            raise ZeroDivisionError
    assert np.array_equal(document.label_map, before)
    assert document.undo_stack.count() == 1 and document.undo_stack.text(0) == "Fill"
    assert not stroke.open and stroke.paint(0, 0, np.ones((2, 2), bool), 1) is None


def test_an_edit_that_changes_nothing_leaves_no_step(document):
    value = document.label_at(0, 0)
    with document.edit("Fill") as stroke:
        assert stroke.paint(0, 0, np.ones((1, 1), bool), value) is None
    assert document.undo_stack.count() == 0 and not document.is_dirty
    assert not document.apply_mask(0, 0, np.ones((1, 1), bool), value, "Fill")


def test_an_edit_commits_a_brush_stroke_in_progress_first(document):
    drag = document.begin_stroke("Brush")
    drag.paint(0, 0, np.ones((2, 2), bool), 2)
    with document.edit("Fill") as stroke:
        assert stroke.paint(30, 30, np.ones((2, 2), bool), 255) is not None
    assert not drag.open
    assert [document.undo_stack.text(i) for i in range(document.undo_stack.count())] == ["Brush", "Fill"]


def test_nothing_is_painted_without_an_image(qtbot):
    document = LabelDocument()
    with document.edit("Fill") as stroke:
        assert not stroke.open
        assert stroke.paint(0, 0, np.ones((2, 2), bool), 1) is None
    assert document.label_map is None and document.undo_stack is None


def test_nothing_is_painted_while_an_image_loads(document, project, qtbot, monkeypatch):
    import app.document.label_document as label_document

    monkeypatch.setattr(label_document, "is_large", lambda path: True)
    second = project.image_paths()[1]
    before = document.label_map.copy()
    assert document.request_image(second) and document.is_loading
    with document.edit("Fill") as stroke:
        assert stroke.paint(0, 0, np.ones((4, 4), bool), 2) is None
    assert not document.apply_mask(0, 0, np.ones((4, 4), bool), 2, "Fill")
    assert np.array_equal(document.label_map, before) and document.undo_stack.count() == 0
    qtbot.waitUntil(lambda: not document.is_loading, timeout=5000)
    assert document.image_path == second
