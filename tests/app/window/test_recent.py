"""File > Open Recent (issue 17, item 1): the last ten projects, newest first, a missing one greyed and
marked, Clear list, and the list read back from a hand-edited file."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app.preferences import APPLICATION, ORGANIZATION
from app.startup.gui import create_window
from app.window.recent import MAX_RECENT, RECENT_KEY, RecentProjects
from support.projects import make_project


@pytest.fixture
def window(qtbot, messages, tmp_path):
    window = create_window(str(make_project(tmp_path / "first", count=1).root))
    qtbot.addWidget(window)
    yield window
    window.image_list.cancel_thumbnails()


def entries(window) -> list[tuple[str, bool]]:
    menu = window.recent_menu
    menu.aboutToShow.emit()  # what opening the menu does
    return [(action.text(), action.isEnabled()) for action in menu.actions() if not action.isSeparator()]


def test_the_list_is_newest_first_without_repeats_and_at_most_ten(tmp_path):
    recent = RecentProjects()
    for number in range(MAX_RECENT + 3):
        recent.add(tmp_path / f"p{number}")
    recent.add(tmp_path / "p5")
    paths = recent.entries()
    assert len(paths) == MAX_RECENT and paths[0] == tmp_path / "p5" and paths[1] == tmp_path / f"p{MAX_RECENT + 2}"
    assert paths.count(tmp_path / "p5") == 1
    recent.clear()
    assert RecentProjects().entries() == []


def test_a_single_entry_or_junk_in_the_file_reads_sensibly(tmp_path):
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "segstudio"
    config.mkdir(parents=True)
    (config / "segstudio.conf").write_text(f"[recent]\nprojects={tmp_path / 'only'}\n")
    assert RecentProjects().entries() == [tmp_path / "only"]
    QSettings(ORGANIZATION, APPLICATION).setValue(RECENT_KEY, 42)
    assert RecentProjects().entries() == []


def test_the_menu_lists_opened_projects_and_marks_a_missing_one(qtbot, window, tmp_path):
    second = make_project(tmp_path / "second", count=1)
    assert window.open_path(second.root)
    assert window.recent_menu.menuAction() in window.file_menu.actions()
    assert entries(window)[:2] == [("&1 second", True), ("&2 first", True)]
    shutil.rmtree(tmp_path / "first")
    assert entries(window)[:2] == [("&1 second", True), ("&2 first (missing)", False)]
    missing = [a for a in window.recent_menu.actions() if "missing" in a.text()][0]
    assert str(tmp_path / "first") in missing.toolTip()


def test_an_entry_opens_its_project_and_clear_empties_the_list(qtbot, window, tmp_path, messages):
    second = make_project(tmp_path / "second", count=1)
    assert window.open_path(second.root)
    entries(window)
    [first] = [a for a in window.recent_menu.actions() if a.text() == "&2 first"]
    first.trigger()
    assert window.document.project.root == tmp_path / "first"
    assert entries(window)[0] == ("&1 first", True)  # now the newest
    [clear] = [a for a in window.recent_menu.actions() if a.text() == "&Clear list"]
    clear.trigger()
    assert entries(window) == [("No recent projects", False), ("&Clear list", False)]
    assert RecentProjects().entries() == [] and messages.shown == []
