"""The assembled window: opening, saving, title marker, switching images, errors, quitting, and
each toolbar control in both directions (document -> widget, widget -> document)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.canvas.tools import Tool
from app.document.label_document import ViewMode
from app.messages import Answer
from app.window.main_window import MainWindow
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import ImageStatus
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3, labelled=1, predicted=1)


@pytest.fixture
def window(qtbot, project, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_path(project.root)
    yield window
    window.image_list.cancel_thumbnails()


def paint_square(window, value: int = 2) -> None:
    window.document.apply_mask(2, 2, np.ones((5, 5), bool), value, "Fill")


def test_open_project_defaults_to_brush_class_one(window, project):
    assert window.document.image_path == project.image_paths()[0]
    assert window.tools.tool is Tool.BRUSH and window.document.view.active_class == 1
    assert window.image_list.paths() == project.image_paths()
    assert [window.image_list.status(p) for p in project.image_paths()] == [
        ImageStatus.REVIEWED, ImageStatus.PREDICTED, ImageStatus.UNLABELLED]


def test_title_has_name_and_unsaved_marker(window, project):
    assert "segstudio" in window.windowTitle() and project.name in window.windowTitle()
    assert not window.isWindowModified()
    paint_square(window)
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_ctrl_s_saves_a_file_equal_to_the_label(window, project, qtbot):
    paint_square(window)
    window.actions_by_name["save"].trigger()
    stored = read_label_png(project.label_path(window.document.image_path))
    assert np.array_equal(stored, window.document.label_map)
    assert not window.isWindowModified()


def test_undo_action_takes_the_edit_back(window):
    before = window.document.label_map.copy()
    paint_square(window)
    window.actions_by_name["undo"].trigger()
    assert np.array_equal(window.document.label_map, before)
    window.actions_by_name["redo"].trigger()
    assert window.document.label_at(3, 3) == 2


def test_page_down_switches_images_and_keeps_edits(window, project):
    images = project.image_paths()
    paint_square(window)
    edited = window.document.label_map.copy()
    window.image_list.next_action.trigger()
    assert window.document.image_path == images[1]
    assert window.image_list.list_widget.currentRow() == 1
    assert "*" in window.image_list.list_widget.item(0).text()
    window.image_list.previous_action.trigger()
    assert np.array_equal(window.document.label_map, edited)


def test_corrupt_image_shows_error_and_the_program_keeps_running(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "bad", count=2)
    (project.images_dir / "img_1.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_path(project.root)
    window.image_list.next_action.trigger()
    assert any("img_1.png" in text for text in messages.texts("error"))
    assert window.image_list.status(project.images_dir / "img_1.png") is ImageStatus.INVALID
    assert window.document.image_path == project.images_dir / "img_0.png"
    paint_square(window)    # still usable
    assert window.document.label_at(3, 3) == 2
    window.image_list.cancel_thumbnails()


def test_bad_path_gives_a_message_not_a_traceback(window, messages, tmp_path):
    assert not window.open_path(tmp_path / "missing")
    assert any("does not exist" in text for text in messages.texts("error"))


def test_the_documents_errors_and_warnings_are_message_boxes_over_the_window(window, messages, project,
                                                                            monkeypatch):
    parents = []
    for kind in ("error", "warning"):
        monkeypatch.setattr(messages, kind, lambda parent, title, text, k=kind: (
            parents.append(parent), messages.shown.append((k, text))))
    bad = project.images_dir / "z_broken.png"  # sorts last: reopening the project shows a good image
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert not window.document.open_image(bad)
    assert len(messages.texts("error")) == 1 and "z_broken.png" in messages.texts("error")[0]
    monkeypatch.setattr(type(window.document.project), "is_writable", lambda self: False)
    assert window.open_path(project.root)
    assert len(messages.texts("warning")) == 1 and "read-only" in messages.texts("warning")[0]
    assert parents == [window, window]


def test_quit_with_unsaved_edits_asks(window, messages, project):
    paint_square(window)
    messages.answers = [Answer.CANCEL]
    window.actions_by_name["quit"].trigger()
    assert window.isVisible() and messages.texts("ask")
    messages.answers = [Answer.YES]
    hooks = []
    window.about_to_close.append(lambda: hooks.append("closed"))
    window.actions_by_name["quit"].trigger()
    assert not window.isVisible() and hooks == ["closed"]
    assert read_label_png(project.label_path(project.image_paths()[0]))[3, 3] == 2


def test_quit_without_edits_does_not_ask(window, messages):
    window.actions_by_name["quit"].trigger()
    assert not window.isVisible() and not messages.texts("ask")


def test_thumbnails_arrive_from_the_worker(window, qtbot):
    first = window.image_list.list_widget.item(0)
    qtbot.waitUntil(lambda: first.icon().pixmap(64, 64).toImage().pixelColor(10, 10).name() != "#464646",
                    timeout=5000)


def test_image_list_set_order_and_mark_invalid(window, project):
    images = project.image_paths()
    window.image_list.set_order([images[2], images[0]])
    assert window.image_list.paths() == [images[2], images[0], images[1]]
    window.image_list.mark_invalid(images[1], "label has value 7")
    assert "invalid" in window.image_list.list_widget.item(2).text()


# -- each control, both directions -------------------------------------------------------------
def test_opacity_slider_both_ways(window):
    window.document.view.set_opacity(0.3)
    assert window.opacity_slider.value() == 30
    window.opacity_slider.setValue(80)
    assert window.document.view.opacity == pytest.approx(0.8)
    assert window.canvas.label_layer.color_table[1] >> 24 == round(0.8 * 255)


def test_brush_slider_both_ways(window):
    window.tools.set_brush_size(25)
    assert window.brush_slider.value() == 25
    window.brush_slider.setValue(12)
    assert window.tools.brush_size == 12
    QTest.keyClick(window.canvas, Qt.Key.Key_BracketRight)
    assert window.tools.brush_size > 12 and window.brush_slider.value() == window.tools.brush_size


def test_view_mode_combo_both_ways(window):
    window.document.view.set_view_mode(ViewMode.PREDICTION)
    assert window.view_combo.currentData() is ViewMode.PREDICTION
    window.view_combo.setCurrentIndex(window.view_combo.findData(ViewMode.CONFIDENCE))
    assert window.document.view.view_mode is ViewMode.CONFIDENCE


def test_class_combo_and_class_keys_both_ways(window):
    window.document.view.set_active_class(2)
    assert window.class_combo.currentIndex() == 2
    window.class_combo.setCurrentIndex(0)
    assert window.document.view.active_class == 0
    QTest.keyClick(window.canvas, Qt.Key.Key_1)
    assert window.document.view.active_class == 1 and window.class_combo.currentIndex() == 1


def test_tool_actions_both_ways(window):
    window.tools.set_tool(Tool.FILL)
    assert window.tool_actions.fill.isChecked()
    window.tool_actions.eraser.trigger()
    assert window.tools.tool is Tool.ERASER
    QTest.keyClick(window.canvas, Qt.Key.Key_B)
    assert window.tools.tool is Tool.BRUSH and window.tool_actions.brush.isChecked()


def test_accept_prediction_action(window, project):
    assert not window.actions_by_name["accept_prediction"].isEnabled()
    window.image_list.next_action.trigger()
    action = window.actions_by_name["accept_prediction"]
    assert action.isEnabled()
    action.trigger()
    assert (window.document.label_map == 2).all() and window.isWindowModified()


def test_unreviewed_image_with_a_proposal_opens_in_prediction_view(window):
    doc = window.document
    assert doc.view.view_mode is ViewMode.LABEL                 # image 0: reviewed label
    window.image_list.next_action.trigger()                # image 1: prediction, no label
    assert doc.view.view_mode is ViewMode.PREDICTION
    window.image_list.previous_action.trigger()            # back to the reviewed one
    assert doc.view.view_mode is ViewMode.LABEL
    window.image_list.next_action.trigger()
    window.actions_by_name["accept_prediction"].trigger()  # the proposal becomes the label
    assert doc.view.view_mode is ViewMode.LABEL and (doc.label_map == 2).all()


def test_status_bar_shows_position_class_and_zoom(window):
    window.canvas.cursor_moved.emit(3, 4)
    assert "x 3, y 4" in window.position_label.text() and "cat" in window.position_label.text()
    window.canvas.set_zoom(2.0)
    assert window.zoom_label.text() == "zoom 200%"


def test_space_drag_pans(window, qtbot):
    canvas = window.canvas
    canvas.set_zoom(30.0)
    scroll = canvas.verticalScrollBar().value()
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 200))
    QTest.mouseMove(viewport, QPoint(300, 160))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 160))
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.verticalScrollBar().value() == scroll + 40
    assert window.document.undo_stack.count() == 0   # panning never paints


def test_corrupt_first_image_leaves_an_empty_canvas_and_a_usable_window(qtbot, tmp_path, messages, project):
    bad = make_project(tmp_path / "bad_first", count=2)
    (bad.images_dir / "img_0.png").write_bytes(b"")
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_path(project.root)
    window.open_path(bad.root)
    assert window.document.image_path is None
    assert window.canvas.image_layer.boundingRect().isEmpty()
    assert any("img_0.png" in text for text in messages.texts("error"))
    window.image_list.next_action.trigger()   # skips the unreadable first image
    assert window.document.image_path == bad.images_dir / "img_1.png"
    window.image_list.cancel_thumbnails()
