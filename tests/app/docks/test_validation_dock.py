"""The validation dock in a real main window: checks run in the worker (waitSignal, no sleep), problems
are listed and mark their images invalid, clicking a problem opens the image with its invalid pixels
highlighted, Cancel stops a run, and a later clean run un-marks a fixed image."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.docks.validation import FILE_COLUMN, KIND_COLUMN, Scope
from app.window.label_wiring import install_label_docks
from app.window.main_window import MainWindow
from segmodels.labels.labelio import write_label_png
from segmodels.labels.project import ImageStatus
from support.projects import HEIGHT, WIDTH, make_project

BAD_PIXELS = [(3, 4), (3, 5), (20, 50)]  # (y, x) holding class 7 in a 3-class project


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path / "proj", count=4, labelled=3)
    images = project.image_paths()
    label = np.zeros((HEIGHT, WIDTH), np.uint8)
    for y, x in BAD_PIXELS:
        label[y, x] = 7
    write_label_png(project.label_path(images[1]), label, project.classes)  # index out of range
    data = project.label_path(images[2]).read_bytes()
    project.label_path(images[2]).write_bytes(data[: len(data) // 2])     # truncated
    return project


@pytest.fixture
def window(qtbot, project, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_label_docks(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_path(project.root)
    yield window
    docks.validation.shutdown()
    window.image_list.cancel_thumbnails()


def run(qtbot, dock, scope: Scope) -> None:
    # The dock re-emits the worker's end on the GUI thread, so waiting after start() cannot miss it.
    with qtbot.waitSignal(dock.validation_finished, timeout=10000):
        assert dock.start(scope)
    assert not dock.is_running


def kinds(dock) -> list[tuple[str, str]]:
    return [(dock.table.item(r, FILE_COLUMN).text(), dock.table.item(r, KIND_COLUMN).text())
            for r in range(dock.table.rowCount())]


def test_project_validation_lists_problems_and_marks_images(qtbot, window, project):
    dock = window.label_docks.validation
    images = project.image_paths()
    assert not dock.cancel_button.isEnabled()
    run(qtbot, dock, Scope.PROJECT)
    assert sorted(kinds(dock)) == [("img_1.png", "index out of range"), ("img_2.png", "truncated")]
    assert dock.progress.value() == dock.progress.maximum() == 3
    assert "3 label file(s) checked: 2 problem(s) in 2 file(s)" in dock.summary.text()
    statuses = [window.image_list.status(p) for p in images]
    assert statuses == [ImageStatus.REVIEWED, ImageStatus.INVALID, ImageStatus.INVALID, ImageStatus.UNLABELLED]
    assert dock.project_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_clicking_a_problem_opens_the_image_and_highlights_invalid_pixels(qtbot, window, project):
    dock = window.label_docks.validation
    run(qtbot, dock, Scope.PROJECT)
    assert window.document.image_path == project.image_paths()[0]
    row = [r for r, (name, _) in enumerate(kinds(dock)) if name == "img_1.png"][0]
    rect = dock.table.visualItemRect(dock.table.item(row, KIND_COLUMN))
    dock.show()
    QTest.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.document.image_path == project.image_paths()[1]
    expected = np.zeros((HEIGHT, WIDTH), bool)
    for y, x in BAD_PIXELS:
        expected[y, x] = True
    assert np.array_equal(dock.highlight.mask, expected)
    assert dock.highlight.frame.isVisible()
    assert dock.highlight.layer.zValue() > window.canvas.label_layer.zValue()
    window.document.open_image(project.image_paths()[0])  # another image: the marks go away
    assert dock.highlight.mask is None and not dock.highlight.frame.isVisible()


def test_whole_file_problem_opens_image_without_highlight(qtbot, window, project):
    dock = window.label_docks.validation
    run(qtbot, dock, Scope.PROJECT)
    row = [r for r, (name, _) in enumerate(kinds(dock)) if name == "img_2.png"][0]
    assert dock.show_problem(row)
    assert window.document.image_path == project.image_paths()[2]
    assert dock.highlight.mask is None


def test_current_image_scope(qtbot, window, project):
    dock = window.label_docks.validation
    window.document.open_image(project.image_paths()[1])
    run(qtbot, dock, Scope.IMAGE)
    assert kinds(dock) == [("img_1.png", "index out of range")]
    window.document.open_image(project.image_paths()[3])  # no label saved yet
    assert not dock.start(Scope.IMAGE)
    assert "no saved label" in dock.summary.text() and dock.table.rowCount() == 0


def test_fixed_image_is_unmarked_by_the_next_run(qtbot, window, project):
    dock = window.label_docks.validation
    run(qtbot, dock, Scope.PROJECT)
    bad = project.image_paths()[1]
    assert window.image_list.status(bad) is ImageStatus.INVALID
    project.write_label(bad, np.zeros((HEIGHT, WIDTH), np.uint8))
    run(qtbot, dock, Scope.PROJECT)
    assert window.image_list.status(bad) is ImageStatus.REVIEWED
    assert kinds(dock) == [("img_2.png", "truncated")]


def test_cancel_stops_the_run(qtbot, window, project):
    dock = window.label_docks.validation
    with qtbot.waitSignal(dock.validation_finished, timeout=10000):
        assert dock.start(Scope.PROJECT)
        assert dock.cancel_button.isEnabled() and not dock.project_button.isEnabled()
        dock.cancel_button.click()
    assert not dock.is_running
    assert dock.summary.text().startswith("Cancelled.")
    assert dock.project_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_opening_another_project_clears_the_report(qtbot, window, project, tmp_path):
    dock = window.label_docks.validation
    run(qtbot, dock, Scope.PROJECT)
    assert dock.table.rowCount() == 2
    other = make_project(tmp_path / "other", count=1, labelled=1)
    assert window.open_path(other.root)
    assert dock.table.rowCount() == 0 and dock.summary.text() == "Not run yet."


def test_file_menu_has_validate_and_export(window):
    named = window.actions_by_name
    file_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"][0]
    assert named["validate"] in file_menu.actions() and named["export"] in file_menu.actions()
    entries = file_menu.actions()
    assert entries.index(named["export"]) < entries.index(named["quit"])
