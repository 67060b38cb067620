"""Help menu: the shortcut list follows the actions, About names versions and paths, the guide opens
(or its path is shown); and every control and dock of the window has an accessible name and a tooltip."""
from __future__ import annotations

import importlib.metadata
import sys

import pytest
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QPushButton

from app.startup.gui import create_window
from app.window.about import NOT_LOADED, about_text
from app.window.accessible import name_widgets, unnamed
from app.window.help_menu import GUIDE, open_user_guide
from app.window.shortcuts_dialog import ShortcutsDialog, shortcut_rows
from support.projects import make_project


@pytest.fixture
def window(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1, predicted=1)
    window = create_window(str(project.root))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.image_list.cancel_thumbnails()


def test_shortcut_list_is_made_from_the_actions(qtbot, window):
    rows = {row.action: row.keys for row in shortcut_rows(window)}
    assert rows["Save label"] == QKeySequence(QKeySequence.StandardKey.Save).toString()
    assert rows["Redo"] == "Ctrl+Shift+Z, Ctrl+Y" and rows["Brush"] == "B" and rows["Export"] == "Ctrl+E"
    assert rows["Keyboard shortcuts"] == "Ctrl+/" and rows["Next unreviewed image"] == "N"
    fake = QAction("&Frobnicate the labels", window)
    fake.setShortcut(QKeySequence("Ctrl+Alt+F12"))
    window.addAction(fake)
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    asses = [row for row in dialog.rows if row.action == "Frobnicate the labels"]
    assert asses and asses[0].keys == "Ctrl+Alt+F12"
    dialog.filter_box.setText("frob")
    assert [row.action for row in dialog.visible_rows()] == ["Frobnicate the labels"]
    dialog.filter_box.setText("ctrl+e")  # by key too
    assert "Export" in [row.action for row in dialog.visible_rows()]
    dialog.filter_box.setText("")
    assert len(dialog.visible_rows()) == len(dialog.rows) == dialog.table.rowCount()


def test_help_menu_opens_the_shortcuts_dialog(qtbot, window):
    window.actions_by_name["help_shortcuts"].trigger()
    dialogs = [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].table.rowCount() > 20
    dialogs[0].close()


def test_about_names_versions_device_and_paths(window, messages):
    text = about_text(window)
    import PySide6

    assert qVersion() in text and f"PySide6 {PySide6.__version__}" in text
    assert f"torch {importlib.metadata.version('torch')}" in text
    assert ".segstudio-recovery" in text and str(window.document.project.root) in text
    assert "Settings: " in text and ("segstudio.conf" in text or "segstudio.ini" in text)
    if "torch" not in sys.modules:
        assert NOT_LOADED in text
    window.actions_by_name["help_about"].trigger()
    assert messages.texts("info") == [text]


def test_user_guide_opens_or_its_path_is_shown(window, messages, tmp_path):
    assert GUIDE.is_file()
    opened = []
    assert open_user_guide(window, opener=lambda url: opened.append(url.toLocalFile()) or True)
    assert opened == [str(GUIDE)] and messages.texts() == []
    assert not open_user_guide(window, opener=lambda url: False)  # no viewer on this machine
    assert messages.texts("info") == [f"The user guide is at {GUIDE}; no program could open it here."]


def test_every_control_and_dock_has_a_name_and_a_tooltip(qtbot, window):
    assert unnamed(window) == []
    predict = window.model_docks.model.predict_button
    assert predict.accessibleName() == "Predict this image" and predict.toolTip()
    assert window.image_list.accessibleName() == "Images"
    brush = [b for b in window.findChildren(QPushButton) if b.accessibleName() == "Dismiss notice"]
    assert brush  # the notice bar's button, named by hand
    late = QPushButton("Late button", window.model_docks.model.widget())  # built after the walk: caught by it
    assert 'QPushButton "Late button"' in unnamed(window)
    name_widgets(window)
    assert late.accessibleName() == "Late button" and late.toolTip() == "Late button"
