"""Issue 13, items 4, 5 and 7: two windows (or a window and another program) on one project, close
without saving, and an image replaced on disk under unsaved edits. Each test plants the case and
checks the exact behaviour: who is asked what, which files hold which pixels afterwards."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from app.document.conflicts import CONFLICTS_DIR, Choice
from app.document.recovery_lock import LOCK_NAME, _start_ticks
from app.messages import Answer
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import read_label_png, write_label_png
from support.projects import HEIGHT, WIDTH, make_project

RECOVERY = ".segstudio-recovery"


def _window(qtbot, root):
    from app.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(root)
    return window


def _paint(document, value, rows=slice(0, 5)) -> None:
    stroke = document.begin_stroke("Brush")
    mask = np.zeros(document.label_map.shape, bool)
    mask[rows] = True
    stroke.paint(0, 0, mask, value)
    stroke.finish()


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3, labelled=1)


# -- item 4: two windows save one label -----------------------------------------------------------
@pytest.mark.parametrize("answer", [Choice.KEEP_MINE, Choice.TAKE_THEIRS, Choice.SAVE_COPY])
def test_second_window_saving_a_label_the_first_saved_is_asked(qtbot, messages, project, answer):
    first, second = _window(qtbot, project.root), _window(qtbot, project.root)
    image = first.document.image_path
    label_file = project.label_path(image)
    _paint(first.document, 2)
    assert first.document.save()
    theirs = read_label_png(label_file)
    _paint(second.document, 0, rows=slice(10, 20))
    mine = second.document.label_map.copy()
    messages.answers = [answer.value]
    saved = second.document.save()
    question, = messages.texts("choose")
    assert question.startswith(f"Label '{label_file}' was changed by another window or program since "
                               "you opened it, and you have unsaved edits of it.\n\nKeep mine writes your edits")
    on_disk = read_label_png(label_file)
    copies = list((project.root / CONFLICTS_DIR).glob("*.png")) if answer is Choice.SAVE_COPY else []
    if answer is Choice.KEEP_MINE:
        assert saved and np.array_equal(on_disk, mine)
    else:
        assert np.array_equal(on_disk, theirs)  # the first window's save survives
        assert np.array_equal(second.document.label_map, theirs) and not second.document.is_dirty
    if answer is Choice.SAVE_COPY:
        assert len(copies) == 1 and np.array_equal(read_label_png(copies[0]), mine)
    assert not second.document.unsaved_images() or answer is Choice.KEEP_MINE


def test_closing_the_question_saves_nothing_and_keeps_the_edit(qtbot, messages, project):
    first, second = _window(qtbot, project.root), _window(qtbot, project.root)
    _paint(first.document, 2)
    assert first.document.save()
    theirs = project.label_path(first.document.image_path).read_bytes()
    _paint(second.document, 0)
    messages.answers = [None]  # the box closed / Cancel
    assert not second.document.save()
    assert project.label_path(first.document.image_path).read_bytes() == theirs
    assert second.document.is_dirty


def test_a_label_written_by_another_program_is_noticed_without_a_window(qtbot, project):
    """The document alone (no window to ask) keeps both versions: the safest answer."""
    from app.document.label_document import LabelDocument

    document = LabelDocument()
    document.open_project(project)
    image = document.image_path
    _paint(document, 2)
    write_label_png(project.label_path(image), np.zeros((HEIGHT, WIDTH), np.uint8), project.classes)
    assert document.save()
    assert read_label_png(project.label_path(image)).max() == 0  # the other program's label stays
    copy, = (project.root / CONFLICTS_DIR).glob(f"{image.stem}-*.png")
    assert (read_label_png(copy)[:5] == 2).all()


def test_touching_a_label_without_changing_it_is_no_conflict(qtbot, messages, project):
    window = _window(qtbot, project.root)
    label_file = project.label_path(window.document.image_path)
    data = label_file.read_bytes()
    label_file.unlink()
    label_file.write_bytes(data)  # new inode and mtime, same bytes
    _paint(window.document, 2)
    assert window.document.save()
    assert messages.texts("choose") == []


def test_a_label_created_meanwhile_for_an_unlabelled_image_is_a_conflict(qtbot, messages, project):
    window = _window(qtbot, project.root)
    image = project.image_paths()[1]
    assert window.document.open_image(image)
    _paint(window.document, 1)
    write_label_png(project.label_path(image), np.zeros((HEIGHT, WIDTH), np.uint8), project.classes)
    messages.answers = [Choice.TAKE_THEIRS.value]
    assert window.document.save()
    assert len(messages.texts("choose")) == 1
    assert read_label_png(project.label_path(image)).max() == 0


# -- item 4: segstudio.json -------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [Choice.KEEP_MINE, Choice.TAKE_THEIRS, Choice.SAVE_COPY])
def test_second_window_changing_classes_is_asked(qtbot, messages, project, answer):
    first, second = _window(qtbot, project.root), _window(qtbot, project.root)
    assert first.document.set_classes(ClassTable.from_names(["background", "cat", "dog", "bird"]))
    messages.answers = [answer.value]
    saved = second.document.set_classes(ClassTable.from_names(["background", "cat", "dog", "horse"]))
    assert len(messages.texts("choose")) == 1 and "segstudio.json" in messages.texts("choose")[0]
    on_disk = json.loads(project.config_path.read_text())["classes"][-1]["name"]
    shown = second.document.class_table.names[-1]
    assert saved is (answer is Choice.KEEP_MINE)
    assert on_disk == shown == ("horse" if answer is Choice.KEEP_MINE else "bird")
    copies = list((project.root / CONFLICTS_DIR).glob("segstudio-*.json"))
    assert len(copies) == (answer is Choice.SAVE_COPY)
    if copies:
        assert json.loads(copies[0].read_text())["classes"][-1]["name"] == "horse"


# -- item 4: recovery files belong to one process -----------------------------------------------------
@pytest.fixture
def other_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield child
    child.kill()
    child.wait(timeout=30)


def _lock_for(folder, pid) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    owner = {"pid": pid, "host": socket.gethostname(), "start": _start_ticks(pid)}
    (folder / LOCK_NAME).write_text(json.dumps(owner))


def test_a_live_windows_recovery_files_are_neither_restored_nor_deleted(qtbot, messages, project, other_process):
    recovery = project.root / RECOVERY
    image = project.image_paths()[0]
    _lock_for(recovery, other_process.pid)
    write_label_png(recovery / f"{image.stem}.png", np.full((HEIGHT, WIDTH), 2, np.uint8), project.classes)
    theirs = {p.name: p.read_bytes() for p in recovery.iterdir()}
    window = _window(qtbot, project.root)
    assert not window.document.is_dirty  # not restored: the other window is alive and owns it
    _paint(window.document, 0)
    assert window.autosave.flush(wait=True)
    own = recovery / f"session-{os.getpid()}"
    assert (own / f"{image.stem}.png").is_file()  # this window writes beside, in its own folder
    messages.answers = [Choice.KEEP_MINE.value]
    assert window.document.save()
    window.autosave.flush(wait=True)
    window.autosave.discard([image])
    assert {p.name: p.read_bytes() for p in recovery.iterdir() if p.is_file()} == theirs
    window.close()
    assert not own.exists()  # released and empty: removed


def test_a_dead_windows_lock_is_taken_over_with_its_edits(qtbot, messages, project):
    recovery = project.root / RECOVERY
    image = project.image_paths()[0]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    _lock_for(recovery, dead.pid)
    edit = np.full((HEIGHT, WIDTH), 2, np.uint8)
    write_label_png(recovery / f"{image.stem}.png", edit, project.classes)
    window = _window(qtbot, project.root)
    assert json.loads((recovery / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert window.document.is_dirty and np.array_equal(window.document.label_map, edit)


def test_a_dead_second_windows_session_folder_is_restored(qtbot, messages, project):
    session = project.root / RECOVERY / "session-999999999"
    image = project.image_paths()[1]
    _lock_for(session, 999_999_999)  # no such process
    write_label_png(session / f"{image.stem}.png", np.full((HEIGHT, WIDTH), 1, np.uint8), project.classes)
    window = _window(qtbot, project.root)
    assert window.document.unsaved_images() == [image]


# -- item 5: close without saving -----------------------------------------------------------------
def test_close_without_saving_removes_only_the_edits_asked_about(qtbot, messages, project):
    recovery = project.root / RECOVERY
    recovery.mkdir()
    kept = recovery / "gone_image.png"  # its image moved away: reported as kept at restore
    write_label_png(kept, np.zeros((4, 4), np.uint8), project.classes)
    wrong_size = recovery / f"{project.image_paths()[2].stem}.png"
    write_label_png(wrong_size, np.zeros((7, 9), np.uint8), project.classes)
    window = _window(qtbot, project.root)
    status = window.notice_bar.text()  # the recovery notice stays in the status bar until dismissed
    assert "kept" in status
    _paint(window.document, 2)
    assert window.autosave.flush(wait=True)
    edited = recovery / f"{window.document.image_path.stem}.png"
    assert edited.is_file()
    messages.answers = [Answer.NO]
    assert window.close()
    assert kept.is_file() and wrong_size.is_file()  # what the notice called kept is still there
    assert not edited.exists()


def test_a_failed_open_keeps_the_project_its_edits_and_their_recovery_files(qtbot, messages, project, tmp_path):
    window = _window(qtbot, project.root)
    _paint(window.document, 2)
    assert window.autosave.flush(wait=True)
    recovery_png = project.root / RECOVERY / f"{window.document.image_path.stem}.png"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "segstudio.json").write_text("{not json")
    assert not window.open_path(broken)
    assert messages.texts("ask") == []  # nothing to decide: the other project could not be read
    assert window.document.project.root == project.root and window.document.is_dirty
    assert recovery_png.is_file()


# -- item 7: the image replaced on disk under unsaved edits -------------------------------------------------
def _replace_image(path, height, width) -> None:
    Image.fromarray(np.full((height, width, 3), 90, np.uint8)).save(path)


def test_switching_back_to_an_image_replaced_by_a_bigger_one_asks(qtbot, messages, project):
    window = _window(qtbot, project.root)
    document = window.document
    first, second = project.image_paths()[:2]
    _paint(document, 2)
    mine = document.label_map.copy()
    assert document.open_image(second)
    _replace_image(first, HEIGHT * 2, WIDTH * 2)
    messages.answers = [Choice.SAVE_COPY.value]
    assert document.open_image(first)
    question, = messages.texts("choose")
    assert f"was {WIDTH}x{HEIGHT}, now it is {WIDTH * 2}x{HEIGHT * 2}" in question
    assert document.label_map.shape == (HEIGHT * 2, WIDTH * 2)  # the label fits the new image
    assert not document.unsaved_images()
    copy, = (project.root / CONFLICTS_DIR).glob(f"{first.stem}-*.png")
    assert np.array_equal(read_label_png(copy), mine)


def test_same_size_replacement_can_keep_the_edits(qtbot, messages, project):
    window = _window(qtbot, project.root)
    document = window.document
    first, second = project.image_paths()[:2]
    _paint(document, 2)
    mine = document.label_map.copy()
    assert document.open_image(second)
    _replace_image(first, HEIGHT, WIDTH)
    messages.answers = [Choice.KEEP_MINE.value]
    assert document.open_image(first)
    assert document.is_dirty and np.array_equal(document.label_map, mine)
    assert (document.image == 90).all()  # the new pixels are shown under the kept edits
    assert document.save() and len(messages.texts("choose")) == 1  # asked once, not again at save


def test_saving_over_an_image_replaced_while_shown_never_writes_a_label_that_does_not_fit(qtbot, messages, project):
    window = _window(qtbot, project.root)
    document = window.document
    image = document.image_path
    label_before = project.label_path(image).read_bytes()
    _paint(document, 2)
    _replace_image(image, HEIGHT * 2, WIDTH * 2)
    messages.answers = [None]  # closed the question
    assert not document.save()
    assert project.label_path(image).read_bytes() == label_before and document.is_dirty
    messages.answers = [Choice.TAKE_THEIRS.value]
    assert document.save()
    assert document.label_map.shape == (HEIGHT * 2, WIDTH * 2)
    assert len(messages.texts("choose")) == 2
