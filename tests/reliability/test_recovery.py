"""Autosave and crash recovery (app/document/recovery.py).

In-process tests drive the document and the main window with qtbot; the end-to-end test starts the
real program (`python -m app PROJECT`, offscreen) in a subprocess, paints through the test hook,
waits until the recovery file exists, kills it with SIGKILL, restarts it and compares the restored
pixels with the painted ones. Every wait polls against a deadline; nothing sleeps blindly.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import corpus
import numpy as np
import pytest

from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project

REPO = Path(__file__).resolve().parents[2]
WINDOW_DRIVER = REPO / "tests" / "support" / "window_driver.py"


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.open(corpus.make_project(tmp_path / "proj ü with space", n_images=3))


def _paint(document, y, x, h, w, value) -> None:
    stroke = document.begin_stroke("Brush")
    stroke.paint(y, x, np.ones((h, w), bool), value)
    stroke.finish()


def _window(qtbot, project):
    from app.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(project.root)
    return window


def _recovery_png(project, image) -> Path:
    return project.root / ".segstudio-recovery" / f"{image.stem}.png"


def test_autosave_writes_recovery_within_2s_never_over_label(qtbot, messages, project):
    window = _window(qtbot, project)
    document = window.document
    image = document.image_path
    label_before = project.label_path(image).read_bytes()
    started = time.monotonic()
    _paint(document, 2, 3, 5, 6, 1)
    png = _recovery_png(project, image)
    qtbot.waitUntil(lambda: png.with_suffix(".json").exists(), timeout=2000)
    assert time.monotonic() - started < 2.0
    np.testing.assert_array_equal(read_label_png(png), document.label_map)
    assert project.label_path(image).read_bytes() == label_before   # the label is untouched
    meta = json.loads(png.with_suffix(".json").read_text())
    assert meta["image"] == f"images/{image.name}" and meta["base"]["sha256"]
    assert not [p for p in png.parent.iterdir() if p.name.endswith(".tmp")]


def test_flush_wait_also_waits_for_writes_already_handed_over(qtbot, messages, project, monkeypatch):
    """A write handed to the autosave thread earlier is finished when flush(wait=True) returns, even
    with nothing new pending (closing and tests rely on it: no .tmp file is left in flight)."""
    import threading

    from app.document import recovery

    window = _window(qtbot, project)
    release = threading.Event()
    real_write = recovery._write_jobs

    def slow_write(store, jobs):
        release.wait(5)
        return real_write(store, jobs)

    monkeypatch.setattr(recovery, "_write_jobs", slow_write)
    _paint(window.document, 2, 3, 5, 6, 1)
    assert window.autosave.flush()  # handed over; the thread now waits for `release`
    png = _recovery_png(project, window.document.image_path)
    assert not png.exists()
    threading.Timer(0.2, release.set).start()
    assert window.autosave.flush(wait=True)  # nothing pending, but the write in flight is waited for
    np.testing.assert_array_equal(read_label_png(png), window.document.label_map)


def test_continuous_painting_still_autosaves(qtbot, messages, project):
    """The timer is not restarted by each stroke: painting without pause is saved every second."""
    window = _window(qtbot, project)
    document = window.document
    png = _recovery_png(project, document.image_path)
    deadline = time.monotonic() + 3.0
    step = 0
    while not png.exists():
        assert time.monotonic() < deadline, "no recovery file while painting continuously"
        _paint(document, step % 20, step % 30, 2, 2, 1 + step % 2)
        step += 1
        qtbot.wait(50)   # events flow between strokes as they would with a mouse
    assert step >= 5


def test_save_and_undo_to_clean_remove_the_recovery_file(qtbot, messages, project):
    window = _window(qtbot, project)
    document = window.document
    png = _recovery_png(project, document.image_path)
    _paint(document, 0, 0, 4, 4, 2)
    qtbot.waitUntil(png.exists, timeout=2000)
    assert document.save()   # the removal is queued behind any write in progress
    qtbot.waitUntil(lambda: not png.exists() and not png.with_suffix(".json").exists(), timeout=2000)
    _paint(document, 5, 5, 4, 4, 1)
    qtbot.waitUntil(png.exists, timeout=2000)
    document.undo_stack.undo()   # back to the saved state: nothing left to recover
    qtbot.waitUntil(lambda: not png.exists(), timeout=2000)


def test_restore_marks_unsaved_and_user_can_discard(qtbot, messages, project):
    from app.messages import Answer
    from app.window.main_window import MainWindow

    first = _window(qtbot, project)
    image = first.document.image_path
    _paint(first.document, 1, 1, 6, 7, 2)
    painted = first.document.label_map.copy()
    first.autosave.flush(wait=True)
    # a second window stands for the next start after a crash (the first never saved)
    second = MainWindow()
    qtbot.addWidget(second)
    notices: list[str] = []
    second.document.status_message.connect(notices.append)
    assert second.open_path(project.root)
    restored = [n for n in notices if n.startswith("Restored unsaved edits of 1 image")]
    assert len(restored) == 1 and image.name in restored[0]
    assert second.notice_bar.text() == restored[0]  # what needs the user's action stays until dismissed
    assert second.document.is_dirty and second.isWindowModified()
    np.testing.assert_array_equal(second.document.label_map, painted)
    second.document.undo_stack.undo()  # discard by undo: back to the label on disk
    np.testing.assert_array_equal(second.document.label_map, read_label_png(project.label_path(image)))
    second.document.undo_stack.redo()
    messages.answers.append(Answer.NO)  # close without saving: the recovery file goes
    first.autosave.timer.stop()
    assert second.close()
    assert not _recovery_png(project, image).exists()


def test_full_disk_keeps_edit_in_memory_and_recovery(qtbot, messages, project, monkeypatch):
    from segmodels.errors import SegError

    window = _window(qtbot, project)
    document = window.document
    image = document.image_path
    label_before = project.label_path(image).read_bytes()
    _paint(document, 3, 3, 4, 4, 1)
    window.autosave.flush(wait=True)

    def full_disk(self, image_path, label_map):
        raise SegError(f"Cannot write '{self.label_path(image_path)}': No space left on device.")

    monkeypatch.setattr(Project, "write_label", full_disk)
    assert not document.save()
    assert any(image.stem in t and "kept in memory" in t for t in messages.texts("error"))
    assert document.is_dirty
    assert project.label_path(image).read_bytes() == label_before
    np.testing.assert_array_equal(read_label_png(_recovery_png(project, image)), document.label_map)


def test_recovery_write_failure_is_one_notice(qtbot, messages, project, monkeypatch):
    from app.document import recovery
    from segmodels.errors import SegError

    window = _window(qtbot, project)
    notices = []
    window.document.status_message.connect(notices.append)

    def refuse(*args, **kwargs):
        raise SegError("Cannot write 'x': No space left on device.")

    monkeypatch.setattr(recovery.RecoveryStore, "write", refuse)
    for step in range(3):
        _paint(window.document, step, step, 2, 2, 1)
        assert window.autosave.flush(wait=True) is False
    assert sum("Autosave failed" in n for n in notices) == 1
    assert window.document.is_dirty


def test_read_only_project_warned_on_open_and_recovery_elsewhere(qtbot, messages, project, monkeypatch):
    """Said when the project is opened, before any painting; recovery goes to the user data folder."""
    real_access = os.access
    root = str(project.root)

    def access(path, mode, *args, **kwargs):  # as root, chmod alone does not make a folder read-only
        if str(path).startswith(root) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    window = _window(qtbot, project)
    warnings = messages.texts("warning")
    assert len(warnings) == 1 and "read-only" in warnings[0] and project.labels_dir.name in warnings[0]
    assert window.autosave.store.folder.is_relative_to(Path(os.environ["SEGSTUDIO_HOME"]))
    _paint(window.document, 0, 0, 3, 3, 1)
    assert window.autosave.flush(wait=True)
    assert window.autosave.store.png_path(window.document.image_path).exists()
    assert not (project.root / ".segstudio-recovery").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders; the os.access variant above covers it")
def test_read_only_project_by_permissions(qtbot, messages, project):
    import stat

    mode = project.root.stat().st_mode
    for folder in (project.root, project.labels_dir):
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        window = _window(qtbot, project)
        assert any("read-only" in text for text in messages.texts("warning"))
        _paint(window.document, 0, 0, 3, 3, 1)
        assert not window.document.save() and window.document.is_dirty
        assert window.autosave.flush(wait=True)   # recovery lands in the user data folder
    finally:
        for folder in (project.labels_dir, project.root):
            folder.chmod(mode)


# -- the real program, killed ------------------------------------------------------------------------
def _start(project: Project, driver_args: list[str], home: Path) -> subprocess.Popen:
    """The real window on `project` in another process, driven by tests/support/window_driver.py."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SEGSTUDIO_HOME=str(home))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, str(WINDOW_DRIVER), str(project.root), *driver_args]
    return subprocess.Popen(command, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(condition, process: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the program exited ({process.returncode}) before {what}: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"timed out waiting for {what}: {err.decode()[-2000:]}")
        try:
            process.wait(timeout=0.05)   # a bounded wait that also notices an early exit
        except subprocess.TimeoutExpired:
            pass


def test_kill_9_then_restart_restores_identical_pixels(project, tmp_path):
    image = project.image_paths()[0]
    label_before = project.label_path(image).read_bytes()
    recovery_json = _recovery_png(project, image).with_suffix(".json")
    home = tmp_path / "home"
    painter = _start(project, ["--stroke", "4,5,7,9,2"], home)
    try:
        _wait_for(recovery_json.exists, painter, 30, "the recovery file")
        painter.send_signal(signal.SIGKILL)
        painter.wait(timeout=10)
    finally:
        if painter.poll() is None:
            painter.kill()
    assert painter.returncode == -signal.SIGKILL
    meta = json.loads(recovery_json.read_text())
    assert meta["written_at"] - meta["edited_at"] < 2.0     # at most ~2 s of strokes at risk
    expected = read_label_png(project.label_path(image)).copy()
    expected[4:11, 5:14] = 2
    assert project.label_path(image).read_bytes() == label_before  # the crash never touched the label

    report = tmp_path / "report.json"
    restarted = _start(project, ["--report", str(report)], home)
    try:
        _wait_for(report.exists, restarted, 30, "the restored document")
    finally:
        restarted.send_signal(signal.SIGKILL)
        restarted.wait(timeout=10)
    state = json.loads(report.read_text())
    assert state["image"] == image.name and state["dirty"] is True
    assert "Restored unsaved edits" in state["notice"]
    np.testing.assert_array_equal(np.load(str(report) + ".npy"), expected)


def test_restore_with_a_large_image_loading_in_a_worker(qtbot, messages, tmp_path):
    """A large first image loads in a worker; restoring must still land on the right image."""
    from PIL import Image

    from app.document.loading import is_large
    from app.window.main_window import MainWindow

    root = corpus.make_project(tmp_path / "large ü", n_images=1)
    project = Project.open(root)
    big = project.images_dir / "a big.png"   # sorts first, so the window starts loading it
    Image.fromarray(np.zeros((2100, 2100, 3), np.uint8)).save(big, compress_level=1)
    assert is_large(big)
    first = _window(qtbot, project)
    qtbot.waitUntil(lambda: first.document.image_path == big and not first.document.is_loading, timeout=20000)
    _paint(first.document, 1000, 1500, 20, 30, 2)
    painted = first.document.label_map.copy()
    first.autosave.flush(wait=True)
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.open_path(project.root)
    assert second.document.image_path == big and second.document.is_dirty
    np.testing.assert_array_equal(second.document.label_map, painted)
