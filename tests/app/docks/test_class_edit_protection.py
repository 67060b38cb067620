"""Protected labels survive a class delete or move in the Classes dock: a locked class stays locked at
its new index (the label files were rewritten and the project reopened), as hidden classes do; a locked
class deleted into unlabelled is no longer locked, and "paint only unlabelled" (L) stays on."""
from __future__ import annotations

import pytest

from app.docks.class_actions import UNLABELLED
from app.docks.classes import ClassesDock
from app.document.label_document import LabelDocument
from app.messages import Answer
from support.projects import make_project


class Picker:
    def __init__(self, answer: str) -> None:
        self.answer = answer

    def __call__(self, parent, class_name, options):
        return options.index(self.answer)


@pytest.fixture
def setup(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1)
    document = LabelDocument()
    dock = ClassesDock(document)
    qtbot.addWidget(dock)
    assert document.open_project(project)
    return document, dock.class_actions


def test_a_locked_class_stays_locked_when_it_moves(setup, qtbot, messages):
    document, actions = setup
    document.protection.set_locked({2})  # 'dog'
    document.protection.set_unlabelled_only(True)
    document.view.set_active_class(2)
    messages.answers = [Answer.YES]
    actions.up_action.trigger()  # dog: 2 -> 1, cat: 1 -> 2
    qtbot.waitUntil(lambda: not actions.job.is_busy(), timeout=10000)
    assert document.class_table.names == ["background", "dog", "cat"]
    assert document.protection.locked == frozenset({1}) and document.protection.unlabelled_only


def test_a_locked_class_deleted_into_unlabelled_is_no_longer_locked(setup, qtbot, messages):
    document, actions = setup
    document.protection.set_locked({1, 2})
    document.view.set_active_class(1)  # 'cat'
    actions.pick_target = Picker(UNLABELLED)
    messages.answers = [Answer.YES]
    actions.delete_action.trigger()
    qtbot.waitUntil(lambda: not actions.job.is_busy(), timeout=10000)
    assert document.class_table.names == ["background", "dog"]
    assert document.protection.locked == frozenset({1})  # 'dog', at its new index
