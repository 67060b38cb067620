"""Issue 13, item 17: unsaved edits always have somewhere to go.

- Autosave with a full disk in the project moves the recovery files to the user data folder, says
  once where, and the next start restores them from there. Only when both folders refuse is it
  "Autosave failed". An image's recovery files are never in both folders (a stale copy cannot be
  restored over newer edits).
- File → Save Labels As… (Ctrl+Shift+S) writes the edited labels to a folder the user picks, for a
  read-only project (as the open warning says) and a writable one; refusals and a full disk there are
  one sentence, and nothing counts as saved.

The full disk is planted below the atomic writer (segmodels/atomic.py): files are created, but fsync
of a file under the planted folders fails with ENOSPC, as a full disk reports it; elsewhere the real
calls run. The folder dialog is `app.messages.choose_folder`, answered by the `messages` recorder.
"""
from __future__ import annotations

import errno
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QKeySequence

from app.document.recovery_lock import LOCK_NAME
from app.document.recovery_store import RecoveryStore, fallback_folder
from app.messages import Answer
from app.window.main_window import MainWindow
from segmodels.labels.labelio import read_label_palette, read_label_png
from segmodels.labels.project import Project
from support.projects import make_project

NO_SPACE = os.strerror(errno.ENOSPC)


class FullDisk:
    """Plants a full disk under `roots` (a list the test may clear to free the disk again)."""

    def __init__(self, monkeypatch, *roots: Path) -> None:
        self.roots = [Path(root).resolve() for root in roots]
        self.hits = 0
        self._fds: set[int] = set()
        real_mkstemp, real_fsync = tempfile.mkstemp, os.fsync

        def mkstemp(*args, **kwargs):
            fd, name = real_mkstemp(*args, **kwargs)
            if any(Path(name).resolve().is_relative_to(root) for root in self.roots):
                self._fds.add(fd)
            return fd, name

        def fsync(fd):
            if fd in self._fds:
                self._fds.discard(fd)
                self.hits += 1
                raise OSError(errno.ENOSPC, NO_SPACE)
            return real_fsync(fd)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(os, "fsync", fsync)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SEGSTUDIO_HOME", str(home))
    return home


@pytest.fixture
def project(tmp_path) -> Project:
    return make_project(tmp_path / "proj ü", count=3, labelled=1)


def _window(qtbot, project: Project) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(project.root)
    return window


def _paint(document, y: int, x: int, value: int) -> None:
    assert document.apply_mask(y, x, np.ones((4, 5), bool), value, "Fill")


def _read_only(monkeypatch, root: Path) -> None:
    """As root, chmod alone does not make a folder read-only: os.access answers as for a user."""
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if str(path).startswith(str(root)) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def _files(folder: Path) -> list[str]:
    """The recovery files in `folder` (not the lock naming the window that owns it)."""
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK_NAME) if folder.is_dir() else []


# -- autosave with a full disk ---------------------------------------------------------------------
def test_full_disk_moves_recovery_to_the_user_folder_and_restore_finds_it(qtbot, messages, project, home,
                                                                          monkeypatch):
    window = _window(qtbot, project)
    document, image = window.document, window.document.image_path
    notices: list[str] = []
    document.status_message.connect(notices.append)
    beside, fallback = project.root / ".segstudio-recovery", fallback_folder(project)
    assert fallback.is_relative_to(home)
    _paint(document, 2, 3, 2)
    assert window.autosave.flush(wait=True)
    assert _files(beside) == ["img_0.json", "img_0.png"]   # room on the disk: beside the project

    full = FullDisk(monkeypatch, project.root)
    _paint(document, 10, 10, 0)
    assert window.autosave.flush(wait=True)
    assert full.hits >= 1
    np.testing.assert_array_equal(read_label_png(fallback / "img_0.png"), document.label_map)
    assert _files(fallback) == ["img_0.json", "img_0.png"]
    assert _files(beside) == []   # the older copy went: it could not be restored over these edits
    sentence = (f"Autosave could not write to '{beside}' ({NO_SPACE}), so unsaved edits are now kept "
                f"in '{fallback}'.")
    assert notices == [sentence] and window.statusBar().currentMessage() == sentence
    _paint(document, 20, 20, 2)
    assert window.autosave.flush(wait=True)
    assert notices == [sentence]   # said once; the folder stays in use
    painted = document.label_map.copy()
    np.testing.assert_array_equal(read_label_png(fallback / "img_0.png"), painted)

    window.autosave.timer.stop()
    second = MainWindow()   # the next start after a crash (the first window never saved)
    qtbot.addWidget(second)
    assert second.open_path(project.root)
    assert second.document.image_path == image and second.document.is_dirty
    np.testing.assert_array_equal(second.document.label_map, painted)
    full.roots.clear()   # room again: the save lands and removes the recovery files where they are
    assert second.document.save()
    second.autosave.flush(wait=True)
    assert _files(fallback) == [] and _files(beside) == []
    np.testing.assert_array_equal(read_label_png(project.label_path(image)), painted)


def test_both_folders_full_is_the_old_sentence(qtbot, messages, project, home, monkeypatch):
    window = _window(qtbot, project)
    notices: list[str] = []
    window.document.status_message.connect(notices.append)
    FullDisk(monkeypatch, project.root, home)
    for step in range(3):
        _paint(window.document, step, step, 2)
        assert window.autosave.flush(wait=True) is False
    beside = project.root / ".segstudio-recovery"
    assert notices == [f"Autosave failed: Cannot write '{beside / 'img_0.png'}': {NO_SPACE}. "
                       "Your edits are still in memory."]
    assert window.autosave.store.folder == beside   # nothing moved
    assert _files(beside) == [] and _files(fallback_folder(project)) == []
    assert window.document.is_dirty


@pytest.mark.parametrize("newer_in", ["project", "fallback"])
def test_a_stale_copy_in_the_other_folder_is_not_restored(qtbot, messages, project, home, newer_in):
    """Both folders hold a copy (a crash between writing one and removing the other): the newer wins."""
    image = project.image_paths()[0]
    older, newer = project.read_label(image).copy(), project.read_label(image).copy()
    older[0:10, 0:10], newer[5:15, 5:15] = 2, 0
    store = RecoveryStore(project)
    beside, fallback = store.folders
    old_folder, new_folder = (fallback, beside) if newer_in == "project" else (beside, fallback)
    for folder, label_map in ((old_folder, older), (new_folder, newer)):
        store.write_base = folder
        store.write(image, label_map, time.time())
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(old_folder / "img_0.png", ns=(an_hour_ago, an_hour_ago))

    window = _window(qtbot, project)
    np.testing.assert_array_equal(window.document.label_map, newer)
    assert window.document.undo_stack.count() == 1   # one restore step, not two
    assert _files(old_folder) == [] and _files(new_folder) == ["img_0.json", "img_0.png"]
    messages.answers.append(Answer.NO)   # close without saving: discarded wherever they are
    assert window.close()
    assert _files(beside) == [] and _files(fallback) == []


# -- Save Labels As --------------------------------------------------------------------------------
def _edit_two_and_show_third(window) -> dict[Path, np.ndarray]:
    """Edit images 0 and 1, end on image 2 (unedited, current); the label maps Save As must write."""
    document = window.document
    _paint(document, 2, 3, 2)            # img_0: left half 1, right half 0 on disk
    window.image_list.next_action.trigger()
    _paint(document, 30, 40, 1)          # img_1: no label on disk (all unlabelled)
    window.image_list.next_action.trigger()
    images = window.document.project.image_paths()
    assert document.image_path == images[2] and document.unsaved_images() == images[:2]
    return {image: document.label_map_of(image).copy() for image in images}


def _check_written(out: Path, project: Project, expected: dict[Path, np.ndarray]) -> None:
    assert _files(out) == sorted(f"{image.stem}.png" for image in expected)
    for image, label_map in expected.items():
        np.testing.assert_array_equal(read_label_png(out / f"{image.stem}.png"), label_map)
        np.testing.assert_array_equal(read_label_palette(out / f"{image.stem}.png"), project.classes.palette())


def _check_saved_elsewhere(window, messages, project: Project, out: Path, labels_before: dict[str, bytes]) -> None:
    document, images = window.document, project.image_paths()
    assert document.unsaved_images() == [] and not window.isWindowModified()
    assert window.statusBar().currentMessage() == f"Saved 3 label(s) to '{out}'."
    rows = [window.image_list.list_widget.item(row).text() for row in range(3)]
    assert not any("*" in row for row in rows)   # no unsaved marker left
    assert "reviewed" not in rows[1]             # its label file in the project still does not exist
    assert {p.name: p.read_bytes() for p in project.labels_dir.iterdir()} == labels_before
    window.autosave.flush(wait=True)
    store = window.autosave.store
    assert all(_files(folder) == [] for folder in store.folders)   # recovery files removed
    edited = read_label_png(out / "img_0.png")
    for image in (images[0], images[1], images[0]):   # visits, and leaving a visited one, keep the edits
        assert document.open_image(image)
    np.testing.assert_array_equal(document.label_map, edited)   # not the older label on disk
    assert window.close() and messages.texts("ask") == []   # nothing unsaved: closing does not ask


def test_read_only_project_save_labels_as_writes_the_edits(qtbot, messages, project, home, tmp_path,
                                                           monkeypatch):
    _read_only(monkeypatch, project.root)
    window = _window(qtbot, project)
    assert messages.texts("warning") == [
        f"Labels cannot be saved in '{project.labels_dir}' (read-only); you can paint, but edits stay in "
        "memory until you save them elsewhere with File → Save Labels As… (Ctrl+Shift+S)."]
    action = window.actions_by_name["save_as"]
    assert action.isEnabled() and action.shortcut() == QKeySequence("Ctrl+Shift+S")
    assert [name for name, a in window.actions_by_name.items() if a.shortcut() == action.shortcut()] == ["save_as"]
    assert action in window.menuBar().actions()[0].menu().actions()
    labels_before = {p.name: p.read_bytes() for p in project.labels_dir.iterdir()}
    expected = _edit_two_and_show_third(window)
    assert window.autosave.flush(wait=True)
    assert _files(fallback_folder(project)) == ["img_0.json", "img_0.png", "img_1.json", "img_1.png"]
    messages.shown.clear()
    out = tmp_path / "saved labels"
    out.mkdir()
    messages.folders.append(out)
    action.trigger()
    assert messages.shown == [("folder", "Save labels to a folder")]   # nothing to replace: no question
    _check_written(out, project, expected)
    _check_saved_elsewhere(window, messages, project, out, labels_before)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders; the os.access variant above covers it")
def test_read_only_project_by_permissions_save_labels_as(qtbot, messages, project, home, tmp_path):
    import stat

    mode = project.root.stat().st_mode
    for folder in (project.root, project.labels_dir):
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        window = _window(qtbot, project)
        assert any("Save Labels As" in text for text in messages.texts("warning"))
        labels_before = {p.name: p.read_bytes() for p in project.labels_dir.iterdir()}
        expected = _edit_two_and_show_third(window)
        out = tmp_path / "out"
        out.mkdir()
        messages.folders.append(out)
        window.actions_by_name["save_as"].trigger()
        _check_written(out, project, expected)
        _check_saved_elsewhere(window, messages, project, out, labels_before)
    finally:
        for folder in (project.labels_dir, project.root):
            folder.chmod(mode)


def test_existing_files_are_asked_about(qtbot, messages, project, home, tmp_path):
    """A writable project: No writes nothing at all, Yes replaces; the project's labels stay as they were."""
    window = _window(qtbot, project)
    action = window.actions_by_name["save_as"]
    label_before = project.label_path(project.image_paths()[0]).read_bytes()
    expected = _edit_two_and_show_third(window)
    out = tmp_path / "out"
    out.mkdir()
    (out / "img_1.png").write_bytes(b"not mine")
    messages.folders.append(out)
    messages.answers.append(Answer.NO)
    action.trigger()
    assert messages.texts("ask") == [f"1 file(s) in '{out}' would be replaced (img_1.png). Replace them?"]
    assert _files(out) == ["img_1.png"] and (out / "img_1.png").read_bytes() == b"not mine"
    assert len(window.document.unsaved_images()) == 2 and "*" in window.image_list.list_widget.item(0).text()
    messages.folders.append(out)
    messages.answers.append(Answer.YES)
    action.trigger()
    _check_written(out, project, expected)
    assert window.document.unsaved_images() == []
    assert project.label_path(project.image_paths()[0]).read_bytes() == label_before
    assert not project.label_path(project.image_paths()[1]).exists()


def test_refused_folders_are_one_sentence_and_nothing_written(qtbot, messages, project, home, tmp_path,
                                                              monkeypatch):
    window = _window(qtbot, project)
    action = window.actions_by_name["save_as"]
    _edit_two_and_show_third(window)
    images_before = _files(project.images_dir)
    messages.folders.append(project.images_dir)
    action.trigger()
    assert messages.texts("error") == [
        f"Cannot save labels to '{project.images_dir}': it is the project's images folder, where a label "
        "could replace an image; choose another folder."]
    assert _files(project.images_dir) == images_before
    locked = tmp_path / "locked"
    locked.mkdir()
    _read_only(monkeypatch, locked)
    messages.folders.append(locked)
    action.trigger()
    assert messages.texts("error")[-1] == (f"Cannot save labels to '{locked}': the folder is not writable; "
                                           "choose another folder.")
    assert _files(locked) == []
    messages.folders.append(None)   # the dialog cancelled: nothing said, nothing written
    shown = len(messages.shown)
    action.trigger()
    assert messages.shown[shown:] == [("folder", "Save labels to a folder")]
    assert len(window.document.unsaved_images()) == 2 and messages.texts("ask") == []


def test_full_disk_in_the_chosen_folder_keeps_the_edits_unsaved(qtbot, messages, project, home, tmp_path,
                                                                 monkeypatch):
    window = _window(qtbot, project)
    _edit_two_and_show_third(window)
    out = tmp_path / "full"
    out.mkdir()
    full = FullDisk(monkeypatch, out)
    messages.folders.append(out)
    window.actions_by_name["save_as"].trigger()
    assert full.hits == 1
    assert messages.texts("error") == [f"Could not save labels to '{out}': writing img_0.png failed "
                                       f"({NO_SPACE}); the edits stay unsaved in memory."]
    assert _files(out) == []   # no temporary left either
    assert len(window.document.unsaved_images()) == 2 and "*" in window.image_list.list_widget.item(0).text()
    assert not window.statusBar().currentMessage().startswith("Saved")
    assert window.autosave.flush(wait=True)
    assert len(_files(project.root / ".segstudio-recovery")) == 4   # still recoverable


def test_save_labels_as_is_enabled_only_with_a_project(qtbot, messages, project):
    window = MainWindow()
    qtbot.addWidget(window)
    action = window.actions_by_name["save_as"]
    assert not action.isEnabled()
    assert window.open_path(project.root)
    assert action.isEnabled()
