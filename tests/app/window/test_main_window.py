"""The assembled window: opening, saving, title marker, switching images, errors, quitting, and
each toolbar control in both directions (document -> widget, widget -> document)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.canvas.tools import Tool
from app.docks.image_list import PATH_ROLE
from app.document.label_document import ViewMode
from app.messages import Answer
from app.window.main_window import MainWindow
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import ImageStatus
from support import REPO  # noqa: E402
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


def test_window_start_does_not_import_torch(tmp_path):
    """`launch` is what `segstudio PATH` runs: the window, then its docks after the first frame;
    neither torch nor pyqtgraph loads until a model or the training curves are used, and the
    garbage collector paused for start-up runs again."""
    project = make_project(tmp_path / "p", count=2)
    code = ("import sys, time\nfrom app.startup.gui import launch\n"
            f"app, w = launch({str(project.root)!r})\n"
            + FIRST_PAINT_PROBE +
            "deadline = time.monotonic() + 30\n"
            "while not hasattr(w, 'label_docks') and time.monotonic() < deadline:\n"
            "    app.processEvents()\n"
            "assert w.document.image_path is not None and hasattr(w, 'model_docks')\n"
            "w.image_list.cancel_thumbnails()\n"
            "import gc\nassert gc.isenabled() and gc.get_freeze_count() > 10000  # paused only for start-up\n"
            "print('torch' in sys.modules, 'pyqtgraph' in sys.modules)")
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "False False"
    assert lines[0] == "first paint: image shown True"  # the image is in the first frame, docks come after


#: Prints, at the canvas's first paint, whether the image is there.
FIRST_PAINT_PROBE = (
    "from PySide6.QtCore import QEvent, QObject\n"
    "class Probe(QObject):\n"
    "    def eventFilter(self, watched, event):\n"
    "        if event.type() == QEvent.Type.Paint:\n"
    "            watched.removeEventFilter(self)\n"
    "            print('first paint: image shown', w.canvas.image_layer.boundingRect().width() > 0,\n"
    "                  flush=True)\n"
    "        return False\n"
    "probe = Probe()\nw.canvas.viewport().installEventFilter(probe)\n")


def test_deferred_docks_arrive_after_the_first_frame_and_show_the_open_project(qtbot, project, messages):
    from app.startup.gui import create_window

    window = create_window(str(project.root), defer_docks=True)
    qtbot.addWidget(window)
    assert window.document.image_path is not None
    assert not hasattr(window, "label_docks") and not hasattr(window, "model_docks")  # not before the frame
    assert window.image_list is None
    window.show()
    qtbot.waitUntil(lambda: hasattr(window, "label_docks") and hasattr(window, "model_docks"), timeout=5000)
    images = window.image_list  # built after the project opened: it lists it at once
    assert images.paths() == project.image_paths()
    assert images.list_widget.currentItem().data(PATH_ROLE) == str(window.document.image_path)
    assert images.status(project.image_paths()[0]) is ImageStatus.REVIEWED
    go_menu = window.menuBar().actions()[-1].menu()
    assert go_menu.actions() == [images.previous_action, images.next_action]
    assert images.toggleViewAction() in window._view_menu.actions()
    classes = window.label_docks.classes
    assert classes.table.rowCount() == len(window.document.class_table)  # built after the project opened
    assert window.model_docks.model.selected_checkpoint() is not None  # checkpoints listed at construction
    qtbot.waitUntil(lambda: window.model_docks.model.isVisible() and classes.isVisible(), timeout=5000)
    assert "export" in window.actions_by_name and window.label_docks.validation.project_button.isEnabled()
    window.image_list.cancel_thumbnails()


def test_deferred_chrome_catches_up_with_the_image_already_shown(qtbot, project, messages):
    """Before the first frame the window is the canvas alone; the toolbar, menus, status bar and
    shortcuts built after it reflect the image that is already open."""
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QToolBar

    from app.startup.gui import create_window

    window = create_window(str(project.root), defer_docks=True)
    qtbot.addWidget(window)
    assert window.findChildren(QToolBar) == [] and window.actions_by_name == {}
    window.show()
    qtbot.waitUntil(lambda: hasattr(window, "label_docks"), timeout=5000)
    assert len(window.findChildren(QToolBar)) == 1
    assert window.actions_by_name["save"].shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    accept = window.actions_by_name["accept_prediction"]
    assert accept.isEnabled() == (window.document.prediction is not None)
    assert window.zoom_label.text() == f"zoom {window.canvas.zoom * 100:.0f}%"
    assert window.tool_actions.brush.isChecked()  # open_path chose the brush before the toolbar existed
    window.image_list.cancel_thumbnails()


def test_deferred_image_list_scrolls_the_open_image_into_view(qtbot, tmp_path, messages):
    """The list is filled before its dock has a size; once painted it shows the open image's row."""
    from app.startup.gui import create_window

    project = make_project(tmp_path / "many", count=30)
    image = project.image_paths()[25]
    window = create_window(str(image), defer_docks=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.image_list is not None and window.image_list._painted, timeout=5000)
    widget = window.image_list.list_widget
    current = widget.currentItem()
    assert current is not None and current.data(PATH_ROLE) == str(image)
    qtbot.waitUntil(lambda: widget.viewport().rect().contains(widget.visualItemRect(current)), timeout=5000)
    window.image_list.cancel_thumbnails()


def test_image_list_built_after_a_failed_first_image_marks_it(qtbot, project, messages):
    """The first image failed to open before the deferred image list existed: the list still shows
    it as invalid, with the reason."""
    from app.startup.gui import create_window

    first = project.image_paths()[0]
    first.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    window = create_window(str(project.root), defer_docks=True)
    qtbot.addWidget(window)
    assert any(first.name in text for text in messages.texts("error"))
    assert first in window.document.failed_images
    window.show()
    qtbot.waitUntil(lambda: hasattr(window, "label_docks"), timeout=5000)
    assert window.image_list.status(first) is ImageStatus.INVALID
    assert first.name in window.image_list.list_widget.item(0).toolTip()
    second = project.image_paths()[1]
    first.write_bytes(second.read_bytes())  # the user replaces the broken file and opens it again
    assert window.document.open_image(first) and first not in window.document.failed_images
    window.image_list.cancel_thumbnails()


def test_deferred_docks_get_the_sizes_of_docks_built_before_showing(qtbot, project, messages):
    """Docks added to a window on screen would get only what the canvas leaves; they are resized
    to what a window built complete before showing gives them."""
    from app.startup.gui import create_window

    def dock_sizes(window):
        docks = (window.image_list, window.label_docks.classes, window.model_docks.model)
        return [(dock.width(), dock.height()) for dock in docks]

    windows = {}
    for defer in (False, True):
        window = windows[defer] = create_window(str(project.root), defer_docks=defer)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda w=window: hasattr(w, "label_docks") and w.label_docks.classes.isVisible(), timeout=5000)
    expected = dock_sizes(windows[False])
    qtbot.waitUntil(lambda: all(abs(a - b) <= 2 for got, want in zip(dock_sizes(windows[True]), expected, strict=False)
                                for a, b in zip(got, want, strict=False)), timeout=5000)
    assert expected[1][1] > expected[0][1] * 0.8  # the classes dock is not squeezed under the list
    for window in windows.values():
        window.image_list.cancel_thumbnails()


def test_first_launch_copies_the_demo_with_half_the_labels_removed(qtbot, messages, tmp_path, monkeypatch):
    from app.startup.gui import DEMO_IMAGE_COUNT, DEMO_REVIEWED_COUNT, ensure_demo_project, user_home

    monkeypatch.setenv("SEGSTUDIO_HOME", str(tmp_path / "home"))
    assert user_home() == tmp_path / "home"
    root = ensure_demo_project()
    assert root == tmp_path / "home" / "demo"
    from segmodels.labels.project import Project

    project = Project.open(root)
    assert len(project.image_paths()) == DEMO_IMAGE_COUNT
    assert len(project.labelled_images()) == DEMO_REVIEWED_COUNT
    assert ensure_demo_project() == root   # second launch reuses the user's copy
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(root)
    assert window.document.label_map is not None and "demo" in window.windowTitle()
    window.image_list.cancel_thumbnails()


def test_a_demo_folder_without_its_project_file_is_never_deleted(tmp_path):
    """Issue 13, item 6: the user's files in a `demo` folder whose segstudio.json went missing stay;
    a fresh demo is written beside it, and later launches reuse that one."""
    from app.startup.gui import PARTIAL_PREFIX, ensure_demo_project

    home = tmp_path / "home"
    broken = home / "demo"
    (broken / "labels").mkdir(parents=True)
    (broken / "labels" / "mine.png").write_bytes(b"the user's label")
    (broken / "models").mkdir()
    (broken / "models" / "best.pt").write_bytes(b"the user's model")
    root = ensure_demo_project(home)
    assert root == home / "demo-2" and (root / "segstudio.json").is_file()
    assert (broken / "labels" / "mine.png").read_bytes() == b"the user's label"
    assert (broken / "models" / "best.pt").read_bytes() == b"the user's model"
    assert ensure_demo_project(home) == root
    assert not list(home.glob(f"{PARTIAL_PREFIX}*"))


def test_an_interrupted_demo_copy_of_a_dead_process_is_cleaned_and_a_live_ones_kept(tmp_path):
    import subprocess

    from app.startup.gui import PARTIAL_PREFIX, ensure_demo_project

    child = subprocess.Popen(["true"])
    child.wait()  # exited and reaped: its pid belongs to no process now
    home = tmp_path / "home"
    dead, live = home / f"{PARTIAL_PREFIX}{child.pid}", home / f"{PARTIAL_PREFIX}1"  # pid 1 always runs
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "half.png").write_bytes(b"")
    root = ensure_demo_project(home)
    assert (root / "segstudio.json").is_file()
    assert not dead.exists() and live.exists()


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
