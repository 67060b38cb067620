"""ImageSessions: one label map and undo stack per visited image, kept while shown or unsaved."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoGroup

from app.document.sessions import ImageSessions


def make(qtbot):
    owner = QObject()
    group = QUndoGroup(owner)
    return owner, group, ImageSessions(group, owner)


def test_a_new_session_starts_unlabelled_or_from_the_stored_map(qtbot):
    _, group, sessions = make(qtbot)
    blank, new = sessions.open(Path("a.png"), (2, 3), None)
    assert new and blank.label_map.shape == (2, 3) and (blank.label_map == 255).all()
    stored = np.zeros((2, 3), np.uint8)
    session, new = sessions.open(Path("b.png"), (2, 3), stored)
    assert new and session.label_map is stored
    assert group.stacks() == [blank.undo_stack, session.undo_stack]


def test_a_kept_session_wins_over_the_file_and_only_unsaved_ones_are_kept(qtbot):
    _, group, sessions = make(qtbot)
    edited, _ = sessions.open(Path("a.png"), (2, 2), None)
    edited.undo_stack.push(QUndoCommand("Brush"))
    clean, _ = sessions.open(Path("b.png"), (2, 2), None)
    again, new = sessions.open(Path("a.png"), (2, 2), np.zeros((2, 2), np.uint8))
    assert again is edited and not new
    sessions.leave(Path("a.png"))
    sessions.leave(Path("b.png"))
    assert sessions.get(Path("a.png")) is edited and sessions.get(Path("b.png")) is None
    assert group.stacks() == [edited.undo_stack] and sessions.unsaved() == [Path("a.png")]
    assert clean is not None


def test_mark_saved_then_leave_forgets_and_clear_drops_everything(qtbot):
    _, group, sessions = make(qtbot)
    session, _ = sessions.open(Path("a.png"), (2, 2), None)
    session.undo_stack.push(QUndoCommand("Fill"))
    sessions.open(Path("b.png"), (2, 2), None)
    sessions.mark_saved(Path("a.png"))
    assert sessions.unsaved() == [] and sessions.get(Path("a.png")) is session
    sessions.leave(Path("a.png"))
    assert sessions.get(Path("a.png")) is None
    sessions.clear()
    assert sessions.get(Path("b.png")) is None and group.stacks() == []
