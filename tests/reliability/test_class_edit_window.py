"""Issue 16, item 7, in the real window: a class edit while autosave holds a recovery file of unsaved
edits saves them first (the recovery file goes), rewrites the labels, and the window shows the result;
a recovery file left by another session refuses the edit in one sentence, changing nothing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.messages import Answer
from app.window.label_wiring import install_label_docks
from app.window.main_window import MainWindow
from segmodels.labels.project import RECOVERY_DIR, Project
from support.projects import WIDTH, make_project

LEFT = np.s_[:, : WIDTH // 2]


@pytest.fixture
def window(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1)
    window = MainWindow()
    qtbot.addWidget(window)
    install_label_docks(window)
    assert window.open_path(project.root)
    return window


def recovery_pngs(project: Project) -> list[str]:
    folder = project.root / RECOVERY_DIR
    return sorted(p.name for p in folder.glob("*.png")) if folder.is_dir() else []


def test_unsaved_edits_with_a_recovery_file_are_saved_then_the_class_moves(window, qtbot, messages):
    document = window.document
    project = document.project
    actions = window.label_docks.classes.class_actions
    assert document.apply_mask(0, WIDTH - 2, np.ones((2, 2), bool), 2, "Fill")
    window.autosave.flush(wait=True)
    assert recovery_pngs(project) == ["img_0.png"]
    document.view.set_active_class(2)
    messages.answers = [Answer.YES, Answer.YES]   # save the unsaved edits first; go ahead with the rewrite
    assert actions.move_selected(-1)
    qtbot.waitUntil(lambda: not actions.job.is_busy(), timeout=10000)
    assert messages.texts("error") == []
    names = [entry["name"] for entry in json.loads(project.config_path.read_text())["classes"]]
    assert names == document.class_table.names == ["background", "dog", "cat"]
    saved = Project.open(project.root).read_label(project.images_dir / "img_0.png")
    assert (saved[:2, WIDTH - 2:] == 1).all() and (saved[LEFT] == 2).all()   # the painted 'dog', the 'cat' half
    assert (document.label_map == saved).all() and not document.is_dirty
    assert recovery_pngs(project) == []


def test_another_sessions_recovery_file_refuses_the_edit(window, qtbot, messages):
    document = window.document
    project = document.project
    actions = window.label_docks.classes.class_actions
    folder = project.root / RECOVERY_DIR
    folder.mkdir(exist_ok=True)
    (folder / "img_1.png").write_bytes((project.labels_dir / "img_0.png").read_bytes())  # kept from a crash
    before = (project.labels_dir / "img_0.png").read_bytes(), project.config_path.read_bytes()
    document.view.set_active_class(1)
    messages.answers = [Answer.YES]
    actions.move_selected(1)
    qtbot.waitUntil(lambda: not actions.job.is_busy(), timeout=10000)
    (error,) = messages.texts("error")
    assert "unsaved edits of 1 image(s) in recovery files" in error and "Nothing was changed." in error
    assert ((project.labels_dir / "img_0.png").read_bytes(), project.config_path.read_bytes()) == before
    assert document.class_table.names == ["background", "cat", "dog"]
