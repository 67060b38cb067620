"""The Classes dock's delete, move and load flows (app/docks/class_actions.py) with the `messages`
fixture: questions asked, label files rewritten in a worker, the document showing the result."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

from app.docks.class_actions import UNLABELLED
from app.docks.classes import NAME_COLUMN, ClassesDock
from app.document.label_document import LabelDocument
from app.messages import Answer
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.project import Project
from support.projects import WIDTH, make_project

LEFT, RIGHT = np.s_[:, : WIDTH // 2], np.s_[:, WIDTH // 2:]   # make_project's label: cat | background


class Picker:
    """Stands in for the "pixels become" dialog: answers with the option named, records the options."""

    def __init__(self, answer: str | None) -> None:
        self.answer, self.options = answer, []

    def __call__(self, parent, class_name, options):
        self.options.append(options)
        return options.index(self.answer) if self.answer in options else None


@pytest.fixture
def setup(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1, predicted=1)
    document = LabelDocument()
    dock = ClassesDock(document)
    qtbot.addWidget(dock)
    assert document.open_project(project)
    return project, document, dock, dock.class_actions


def finish(qtbot, actions) -> None:
    qtbot.waitUntil(lambda: not actions.job.is_busy(), timeout=10000)


def saved_names(project: Project) -> list[str]:
    return [entry["name"] for entry in json.loads(project.config_path.read_text())["classes"]]


def disk_label(project: Project) -> np.ndarray:
    opened = Project.open(project.root)
    return opened.read_label(opened.image_paths()[0])


@pytest.mark.parametrize("target, left_value", [(UNLABELLED, IGNORE_INDEX), ("dog", 1)])
def test_delete_asks_what_pixels_become_warns_and_rewrites(setup, qtbot, messages, target, left_value):
    project, document, dock, actions = setup
    document.view.set_active_class(1)
    actions.pick_target = picker = Picker(target)
    messages.answers = [Answer.YES]
    actions.delete_action.trigger()
    finish(qtbot, actions)
    assert picker.options == [[UNLABELLED, "background", "dog"]]
    question = messages.texts("ask")[0]
    assert "This rewrites 1 label file(s) and remaps 1 prediction file(s) and cannot be undone with Ctrl+Z" in question
    assert document.class_table.names == saved_names(project) == ["background", "dog"]
    assert [dock.table.item(row, NAME_COLUMN).text() for row in range(dock.table.rowCount())] == ["background", "dog"]
    for label in (document.label_map, disk_label(project)):
        assert (label[LEFT] == left_value).all() and (label[RIGHT] == 0).all()
    assert messages.texts("error") == []


def test_declining_changes_nothing(setup, qtbot, messages):
    project, document, _dock, actions = setup
    before = (project.labels_dir / "img_0.png").read_bytes()
    document.view.set_active_class(1)
    actions.pick_target = Picker(UNLABELLED)
    messages.answers = [Answer.NO]
    assert not actions.delete_selected()
    actions.pick_target = Picker(None)  # the "pixels become" dialog cancelled
    assert not actions.delete_selected()
    assert saved_names(project) == ["background", "cat", "dog"]
    assert (project.labels_dir / "img_0.png").read_bytes() == before and not actions.job.is_busy()


def test_move_up_and_down_rewrite_and_keep_the_selection(setup, qtbot, messages):
    project, document, _dock, actions = setup
    document.view.set_active_class(2)
    document.view.set_class_visible(1, False)  # 'cat' hidden: stays hidden at its new index
    messages.answers = [Answer.YES]
    actions.up_action.trigger()
    finish(qtbot, actions)
    assert saved_names(project) == ["background", "dog", "cat"]
    assert (document.label_map[LEFT] == 2).all() and (disk_label(project)[LEFT] == 2).all()
    assert document.view.active_class == 1 and document.view.hidden_classes == frozenset({2})
    assert actions.buttons["down"].isEnabled()  # 'dog' at 1 of 0..2 can move down
    messages.answers = [Answer.YES]
    actions.down_action.trigger()
    finish(qtbot, actions)
    assert saved_names(project) == ["background", "cat", "dog"] and document.view.active_class == 2
    assert not actions.buttons["down"].isEnabled() and actions.buttons["up"].isEnabled()


def test_unsaved_edits_are_saved_first_or_the_edit_is_refused(setup, qtbot, messages):
    project, document, _dock, actions = setup
    assert document.apply_mask(0, 0, np.ones((2, 2), bool), 2, "Fill")
    document.view.set_active_class(2)
    messages.answers = [Answer.NO]
    assert not actions.move_selected(-1)
    assert "1 image(s) have unsaved edits. Save them first?" in messages.texts("ask")[0]
    assert saved_names(project) == ["background", "cat", "dog"] and document.unsaved_images()
    messages.answers = [Answer.YES, Answer.YES]
    assert actions.move_selected(-1)
    finish(qtbot, actions)
    assert saved_names(project) == ["background", "dog", "cat"]
    assert (disk_label(project)[:2, :2] == 1).all() and (document.label_map[:2, :2] == 1).all()  # the edit, moved


def test_read_only_labels_are_one_sentence_and_nothing_changes(setup, messages, monkeypatch):
    project, document, _dock, actions = setup
    real_access, labels = os.access, str(project.labels_dir)
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: False if str(path) == labels and mode & os.W_OK
                        else real_access(path, mode, *a, **k))
    document.view.set_active_class(1)
    assert not actions.move_selected(1)
    assert messages.texts("error") == [f"'{project.labels_dir}' is read-only and it holds 1 of the files to rewrite; "
                                       "nothing was changed."]
    assert messages.texts("ask") == [] and saved_names(project) == ["background", "cat", "dog"]


def test_preset_asks_what_would_change_when_there_are_labels(setup, messages):
    project, document, _dock, actions = setup
    messages.answers = [Answer.NO]
    assert not actions.load_classes("voc")
    assert "index 1 'cat' becomes 'aeroplane'" in messages.texts("ask")[0]
    assert document.class_table.names == ["background", "cat", "dog"]
    messages.answers = [Answer.YES]
    assert actions.load_classes("ade20k")
    assert len(document.class_table) == 151 and saved_names(project)[:2] == ["other", "wall"]


def test_class_list_file_with_the_same_first_names_loads_without_asking(setup, messages, tmp_path):
    project, document, _dock, actions = setup
    listing = tmp_path / "class_names.txt"
    listing.write_text("background\ncat\ndog\nbird\n")
    messages.files = [listing]
    assert actions.load_class_file()
    assert messages.texts("ask") == [] and saved_names(project) == ["background", "cat", "dog", "bird"]
    messages.files = [tmp_path / "missing.txt"]
    assert not actions.load_class_file()
    assert "missing.txt" in messages.texts("error")[0]


def test_typing_in_a_new_class_row_renames_it(setup, qtbot, messages):
    project, document, dock, _actions = setup
    dock.show()
    qtbot.waitExposed(dock)
    dock.activateWindow()  # offscreen, a window is active only when asked; the new row's editor takes the focus
    qtbot.waitUntil(dock.isActiveWindow)
    assert dock.add_class()
    assert dock.table.state() is QAbstractItemView.State.EditingState  # the new row's name is open for typing
    (editor,) = dock.table.viewport().findChildren(QLineEdit)
    assert editor.text() == "class 3" and editor.selectedText() == "class 3"  # typing replaces it
    qtbot.keyClicks(editor, "zebra")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: document.class_table.names[-1] == "zebra")  # the editor commits on the next event loop
    assert saved_names(project)[-1] == "zebra" and messages.shown == []


def test_keys_are_named_in_the_tooltips(setup):
    _project, _document, _dock, actions = setup
    assert [action.shortcut().toString() for action in (actions.delete_action, actions.up_action,
                                                        actions.down_action, actions.load_action)] == [
        "Del", "Alt+Up", "Alt+Down", "Alt+L"]
    assert "(Del)" in actions.buttons["delete"].toolTip() and "(Alt+Up)" in actions.buttons["up"].toolTip()


def test_dragging_a_row_moves_the_class(setup, qtbot, messages):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    project, document, dock, actions = setup
    dock.show()
    qtbot.waitExposed(dock)
    document.view.set_active_class(2)  # 'dog', dragged onto the first row
    table = dock.table
    mime = table.model().mimeData([table.model().index(2, NAME_COLUMN)])
    target = QPointF(table.visualItemRect(table.item(0, NAME_COLUMN)).center())
    drop = QDropEvent(target, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    messages.answers = [Answer.YES]
    # Qt delivers a drop only to the target of a drag in progress, which a test cannot start without a
    # real mouse: the viewport's filter is handed the event as Qt would.
    assert actions.row_drop.eventFilter(table.viewport(), drop) and not drop.isAccepted()
    assert [table.item(row, NAME_COLUMN).text() for row in range(3)] == ["background", "cat", "dog"]  # cells unmoved
    assert table.dragDropMode() is QAbstractItemView.DragDropMode.InternalMove
    qtbot.waitUntil(lambda: saved_names(project) == ["dog", "background", "cat"], timeout=10000)
    finish(qtbot, actions)
    assert "Move class 'dog' from index 2 to 0" in messages.texts("ask")[0]
    assert [table.item(row, NAME_COLUMN).text() for row in range(3)] == ["dog", "background", "cat"]
    assert (document.label_map[LEFT] == 2).all() and document.view.active_class == 0
