"""The image list's unsaved "*" markers follow the document, and an image switch redraws only the
rows whose unsaved state changed (not every row of the project)."""
from __future__ import annotations

import numpy as np
import pytest

from app.window.main_window import MainWindow
from support.projects import make_project


@pytest.fixture
def window(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=6, labelled=2)
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(project.root)
    yield window
    window.image_list.cancel_thumbnails()


def marked(window) -> list[bool]:
    widget = window.image_list.list_widget
    return ["*" in widget.item(row).text() for row in range(widget.count())]


def paint(window) -> None:
    window.document.apply_mask(1, 1, np.ones((3, 3), bool), 2, "Fill")


def test_markers_follow_edits_undo_and_save_all(window):
    paint(window)
    window.image_list.step(1)
    paint(window)
    window.image_list.step(1)
    assert marked(window) == [True, True, False, False, False, False]
    window.image_list.step(-1)
    window.document.undo()  # back to clean: only this row loses its marker
    assert marked(window) == [True, False, False, False, False, False]
    window.document.save_all()  # saves an image that is not the current one
    assert marked(window) == [False] * 6


def test_switching_redraws_only_changed_rows(window, monkeypatch):
    rendered = []
    original = window.image_list._render
    monkeypatch.setattr(window.image_list, "_render", lambda path: (rendered.append(path), original(path)))
    for _ in range(4):
        window.image_list.step(1)
    assert rendered == []  # nothing was unsaved and nothing became unsaved
    paint(window)
    assert rendered == [window.document.image_path]
