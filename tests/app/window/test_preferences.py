"""Edit → Preferences…: the undo memory cap (issue 13, item 10). The stored value (QSettings, in the
test's own config folder: tests/conftest.py) is applied to every new window; the dialog stores and
applies it at once, a lower cap drops the oldest undo steps there and then, Cancel changes nothing,
and a stored value that is not a whole number in range reads as the default."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from app.document.undo_budget import held_bytes
from app.preferences import MIB, UNDO_LIMIT_MIB, Preferences
from app.window.main_window import MainWindow
from app.window.preferences_dialog import PreferencesDialog
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project

SIDE = 2048  # one incompressible full-image step holds about 4 MiB: a few of them pass the 16 MiB minimum
DROPPED = "oldest step(s) were dropped"


def make_window(qtbot, **kwargs) -> MainWindow:
    window = MainWindow(**kwargs)
    qtbot.addWidget(window)
    return window


def open_dialog(qtbot, window: MainWindow) -> PreferencesDialog:
    window.actions_by_name["preferences"].trigger()

    def shown() -> list[PreferencesDialog]:  # a closed one may linger until its deferred delete
        return [dialog for dialog in window.findChildren(PreferencesDialog) if dialog.isVisible()]

    qtbot.waitUntil(lambda: len(shown()) == 1)
    return shown()[0]


def press(qtbot, dialog: PreferencesDialog, button: QDialogButtonBox.StandardButton) -> None:
    qtbot.mouseClick(dialog.buttons.button(button), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def type_mib(qtbot, dialog: PreferencesDialog, mib: int) -> None:
    dialog.undo_limit.lineEdit().selectAll()
    qtbot.keyClicks(dialog.undo_limit, str(mib))
    assert dialog.undo_limit.value() == mib


def settings_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "segstudio" / "segstudio.conf"


def test_a_new_window_applies_the_default_512_mib(qtbot, messages):
    assert Preferences().undo_limit_mib == UNDO_LIMIT_MIB.default == 512
    assert make_window(qtbot).document.undo_limit_bytes == 512 * MIB
    assert not settings_file().exists()  # reading stores nothing


@pytest.mark.parametrize("defer_chrome", [False, True])  # True: how `segstudio` starts (app/startup/gui.py)
def test_a_stored_value_is_applied_to_the_next_window(qtbot, messages, defer_chrome):
    Preferences().undo_limit_mib = 2048
    assert settings_file().exists()  # QSettings writes into the test's XDG_CONFIG_HOME, not the user's
    assert make_window(qtbot, defer_chrome=defer_chrome).document.undo_limit_bytes == 2048 * MIB


def test_preferences_is_in_the_edit_menu_with_its_shortcut(qtbot, messages):
    window = make_window(qtbot)
    action = window.actions_by_name["preferences"]
    edit_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert action in edit_menu.actions()
    standard = QKeySequence(QKeySequence.StandardKey.Preferences)
    assert action.shortcut() == (standard if not standard.isEmpty() else QKeySequence("Ctrl+,"))
    assert not action.shortcut().isEmpty()


def test_the_dialog_stores_and_applies_the_value(qtbot, messages):
    window = make_window(qtbot)
    dialog = open_dialog(qtbot, window)
    spin = dialog.undo_limit
    assert (spin.value(), spin.suffix(), spin.minimum(), spin.maximum()) == (512, " MiB", 16, 65536)
    type_mib(qtbot, dialog, 1024)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert window.document.undo_limit_bytes == 1024 * MIB
    assert Preferences().undo_limit_mib == 1024
    assert "limit_mib=1024" in settings_file().read_text()  # stored now, not when the program ends
    assert messages.shown == []
    assert open_dialog(qtbot, window).undo_limit.value() == 1024  # the next dialog shows what was stored


def test_cancel_changes_nothing(qtbot, messages):
    Preferences().undo_limit_mib = 300
    stored = settings_file().read_text()
    window = make_window(qtbot)
    dialog = open_dialog(qtbot, window)
    type_mib(qtbot, dialog, 16)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert window.document.undo_limit_bytes == 300 * MIB
    assert Preferences().undo_limit_mib == 300 and settings_file().read_text() == stored


def big_project(root: Path) -> Project:
    project = Project.create(root, ClassTable.from_names(["a", "b", "c"]))
    Image.fromarray(np.zeros((SIDE, SIDE, 3), np.uint8)).save(project.images_dir / "big.png")
    return project


def test_a_lower_cap_drops_the_oldest_steps_at_once_and_says_so_once(qtbot, messages, tmp_path):
    window = make_window(qtbot)
    assert window.open_path(big_project(tmp_path / "big").root)
    qtbot.waitUntil(lambda: window.document.label_map is not None and not window.document.is_loading)
    document, notes = window.document, []
    document.status_message.connect(notes.append)
    rng = np.random.default_rng(0)
    for step in range(8):  # incompressible values over the whole image: each step holds ~4 MiB
        values = rng.integers(0, 200, (SIDE, SIDE)).astype(np.uint8)
        assert document.apply_mask(0, 0, np.ones((SIDE, SIDE), bool), values, f"step {step}")
    held = held_bytes(document.undo_group.stacks())
    assert document.undo_stack.count() == 8 and held > 20 * MIB and notes == []

    dialog = open_dialog(qtbot, window)
    type_mib(qtbot, dialog, 16)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    kept = document.undo_stack.count()
    assert 1 <= kept < 8  # fell at once, with no new stroke
    assert [document.undo_stack.text(i) for i in range(kept)] == [f"step {s}" for s in range(8 - kept, 8)]
    assert held_bytes(document.undo_group.stacks()) <= 16 * MIB
    assert sum(DROPPED in note for note in notes) == 1
    assert DROPPED in window.statusBar().currentMessage() and "16 MiB" in window.statusBar().currentMessage()

    dialog = open_dialog(qtbot, window)  # lower again: more steps go, but the status bar is not told twice
    type_mib(qtbot, dialog, 16)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert sum(DROPPED in note for note in notes) == 1
    assert document.undo_stack.count() == kept  # the same cap: nothing more to drop


@pytest.mark.parametrize("stored", ["abc", "-5", "", "1.5", "15", "65537", "true", "512 MiB"])
def test_a_corrupt_or_out_of_range_value_in_the_file_reads_as_the_default(qtbot, messages, stored):
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(f"[undo]\nlimit_mib={stored}\n")  # what a user, or another version, left
    assert Preferences().undo_limit_mib == 512
    window = make_window(qtbot)
    assert window.document.undo_limit_bytes == 512 * MIB
    assert open_dialog(qtbot, window).undo_limit.value() == 512
    assert messages.shown == []


@pytest.mark.parametrize("stored", [-5, 0, 70000, True, 2.5, [1024]])
def test_a_wrong_value_of_any_type_reads_as_the_default(qtbot, messages, stored):
    QSettings("segstudio", "segstudio").setValue(UNDO_LIMIT_MIB.key, stored)
    assert Preferences().undo_limit_mib == 512
    assert make_window(qtbot).document.undo_limit_bytes == 512 * MIB


def test_a_valid_value_in_the_file_is_read(qtbot, messages):
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text("[undo]\nlimit_mib= 64\n")
    assert make_window(qtbot).document.undo_limit_bytes == 64 * MIB


@pytest.mark.parametrize("value", [15, 65537, -5, True, "1024"])
def test_storing_a_value_out_of_range_is_refused(value):
    with pytest.raises(ValueError):
        Preferences().undo_limit_mib = value
    assert Preferences().undo_limit_mib == 512


def test_a_value_that_cannot_be_stored_still_applies_and_says_so(qtbot, messages, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the config folder cannot be made under a file, even by root
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(blocker / "config"))
    window = make_window(qtbot)
    dialog = open_dialog(qtbot, window)
    type_mib(qtbot, dialog, 128)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert window.document.undo_limit_bytes == 128 * MIB
    [warning] = messages.texts("warning")
    assert "could not be saved" in warning and "until segstudio closes" in warning


def test_asking_twice_raises_the_open_dialog(qtbot, messages):
    window = make_window(qtbot)
    dialog = open_dialog(qtbot, window)
    assert open_dialog(qtbot, window) is dialog
    assert dialog.windowModality() == Qt.WindowModality.WindowModal  # open(): the window's loop keeps running
