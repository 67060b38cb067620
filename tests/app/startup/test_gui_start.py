"""Starting the window as `segstudio PATH` does (app/startup/gui.py): the image first, the chrome and
docks just after the first frame, and the user's demo copy."""
from __future__ import annotations

import subprocess
import sys

import pytest

from app.docks.image_list import PATH_ROLE
from app.window.main_window import MainWindow
from segmodels.labels.project import ImageStatus
from support import REPO
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3, labelled=1, predicted=1)


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
    [go_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Go"]
    assert go_menu.actions() == [images.previous_action, images.next_action, images.next_unreviewed_action]
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
