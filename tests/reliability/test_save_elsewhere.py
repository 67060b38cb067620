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

from app.document.recovery_store import RecoveryStore, fallback_folder
from app.messages import Answer
from app.window.main_window import MainWindow
from segmodels.labels.labelio import read_label_png
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
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


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
        store.folder = folder
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
