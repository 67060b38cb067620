"""Open anything (issue 17, item 3): File > Open… takes an image, a folder, a project file or a dataset
root and starts in the open project's folder; files and folders dropped on the window open (several
files: their folder; from several folders: refused with a sentence); an empty folder shows what to put
there, and Predict says why it did nothing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.startup.gui import create_window
from app.window.open_dialog import OpenDialog
from support.labels import make_voc_mix
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3)


@pytest.fixture
def window(qtbot, messages, project):
    window = create_window(str(project.root))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.image_list.cancel_thumbnails()


def drop(qtbot, window, *paths: Path | str) -> bool:
    """A drag over the canvas, as a file manager makes it, then the drop. True when the drag was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl(p) if isinstance(p, str) else QUrl.fromLocalFile(str(p)) for p in paths])
    target = window.canvas.viewport()  # the drop lands on the image; the window takes it
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(target, QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    return True


def image_folder(root: Path, count: int = 2) -> list[Path]:
    root.mkdir(parents=True)
    paths = [root / f"photo_{index}.png" for index in range(count)]
    for path in paths:
        Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(path)
    return paths


def test_open_starts_in_the_project_and_opens_an_image_of_another_folder(window, messages, project, tmp_path):
    photos = image_folder(tmp_path / "photos", 3)
    open_action = window.actions_by_name["open"]
    assert open_action.text() == "&Open…" and "Ctrl+O" in open_action.toolTip()
    messages.paths = [photos[1]]
    open_action.trigger()
    assert messages.starts == [str(project.root)]
    assert window.document.project.root == tmp_path / "photos" and window.document.image_path == photos[1]
    messages.paths = [None]  # cancelled: nothing changes
    open_action.trigger()
    assert messages.starts[-1] == str(tmp_path / "photos") and window.document.image_path == photos[1]


@pytest.mark.parametrize("kind", ["folder", "project file", "voc root"])
def test_open_takes_a_folder_a_project_file_or_a_dataset_root(window, messages, tmp_path, kind):
    if kind == "voc root":
        make_voc_mix(tmp_path / "VOC2012")
        target = expected = tmp_path / "VOC2012"
    else:
        other = make_project(tmp_path / "other", count=2)
        target, expected = (other.root, other.root) if kind == "folder" else (other.root / "segstudio.json", other.root)
    messages.paths = [target]
    window.actions_by_name["open"].trigger()
    assert window.document.project.root == expected and window.document.image_path is not None
    assert messages.texts("error") == []


def test_the_open_dialog_opens_the_folder_it_shows(qtbot, tmp_path):
    image_folder(tmp_path / "photos")
    dialog = OpenDialog(None, "Open", str(tmp_path / "photos"))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.mouseClick(dialog.folder_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == OpenDialog.DialogCode.Accepted and dialog.chosen_path() == tmp_path / "photos"


def test_a_dropped_folder_or_image_opens(qtbot, window, tmp_path):
    photos = image_folder(tmp_path / "photos", 3)
    assert drop(qtbot, window, tmp_path / "photos")
    qtbot.waitUntil(lambda: window.document.project.root == tmp_path / "photos")
    other = make_project(tmp_path / "other", count=3)
    assert drop(qtbot, window, other.image_paths()[2])
    qtbot.waitUntil(lambda: window.document.image_path == other.image_paths()[2])
    assert window.document.project.root == other.root
    assert drop(qtbot, window, *photos[:2])  # several files of one folder: that folder
    qtbot.waitUntil(lambda: window.document.project.root == tmp_path / "photos")


def test_files_from_several_folders_are_refused_with_one_sentence(qtbot, window, messages, project, tmp_path):
    first, second = image_folder(tmp_path / "a", 1)[0], image_folder(tmp_path / "b", 1)[0]
    assert drop(qtbot, window, first, second)
    qtbot.waitUntil(lambda: messages.texts("error") != [])
    [error] = messages.texts("error")
    assert "2 different folders" in error and error.count(".") >= 1 and "\n" not in error
    assert window.document.project.root == project.root  # nothing else happened


def test_a_web_link_is_not_accepted_as_a_drop(qtbot, window, project):
    assert not drop(qtbot, window, "https://example.com/cat.png")
    assert window.document.project.root == project.root


def test_an_empty_folder_says_what_to_put_there_and_predict_says_why(qtbot, window, messages, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    note = window.empty_note
    assert not note.isVisible()
    assert window.open_path(empty)
    assert note.isVisible() and str(empty) in note.text() and "PNG" in note.text()
    assert note.geometry() == window.canvas.viewport().geometry()  # covers the canvas, not a corner
    model = window.model_docks.model
    model.predict_current()
    model.predict_all()
    said = messages.texts("info")
    assert len(said) == 2 and all(str(empty) in text and "no images" in text for text in said)
    image_folder(tmp_path / "full")
    assert window.open_path(tmp_path / "full")
    assert not note.isVisible()
