"""Every key of the real window (all docks built, as `segstudio` builds it) against the README's key table:
no two shortcuts share a key where both can fire, the table and the window have the same keys, each
single-letter key does what the table says when pressed on the image, and no two menu entries share an
Alt letter."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.canvas.tools import Tool
from support import REPO
from support.projects import make_project
from support.windows import focus_canvas

MOUSE_WORDS = ("click", "wheel", "drag")
README_NAMES = {"Page Up": "PgUp", "Page Down": "PgDown", "\\`": "`"}


def readme_keys() -> dict[str, str]:
    """Each key the README's key table names (in QKeySequence's portable text) -> the row's 'does' text."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("| key | does |", 1)[1].split("\n\n", 1)[0]
    keys: dict[str, str] = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split(" | ")]
        if len(cells) < 2 or any(word in cells[0] for word in MOUSE_WORDS):
            continue
        for token in re.split(r" / | or | and |, ", cells[0]):
            token = README_NAMES.get(token.strip(), token.strip())
            if re.fullmatch(r"\d-\d", token):
                keys.update({str(digit): cells[1] for digit in range(int(token[0]), int(token[2]) + 1)})
            elif token:
                keys[QKeySequence(token).toString()] = cells[1]
    return keys


def _scopes(window, item: QAction | QShortcut) -> list[QWidget]:
    """The widgets whose focus lets `item` fire: the whole window, or the widget (and its children)."""
    context = item.shortcutContext() if isinstance(item, QAction) else item.context()
    if context in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut):
        return [window]
    owners = item.associatedObjects() if isinstance(item, QAction) else [item.parent()]
    return [owner for owner in owners if isinstance(owner, QWidget)]


def window_shortcuts(window) -> list[tuple[str, str, list[QWidget]]]:
    """(key, what, scopes) for every key of every action and shortcut object in the window."""
    found = []
    for item in window.findChildren(QAction) + window.findChildren(QShortcut):
        keys = item.shortcuts() if isinstance(item, QAction) else item.keys()
        what = item.text() if isinstance(item, QAction) else item.objectName() or repr(item)
        found += [(key.toString(), what.replace("&", ""), _scopes(window, item)) for key in keys if not key.isEmpty()]
    return found


@pytest.fixture
def window(qtbot, tmp_path, messages):
    from app.startup.gui import create_window

    project = make_project(tmp_path / "proj", count=3, labelled=1, predicted=1)
    window = create_window(str(project.root))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    focus_canvas(qtbot, window)
    yield window
    window.image_list.cancel_thumbnails()


def test_no_two_shortcuts_share_a_key_where_both_can_fire(window):
    shortcuts = window_shortcuts(window)
    clashes = []
    for index, (key, what, scopes) in enumerate(shortcuts):
        for other_key, other, other_scopes in shortcuts[index + 1:]:
            overlap = any(a is b or a.isAncestorOf(b) or b.isAncestorOf(a) for a in scopes for b in other_scopes)
            if key == other_key and overlap:
                clashes.append(f"{key}: {what} / {other}")
    assert not clashes
    assert len(shortcuts) > 40  # the walk saw the whole window: tools, menus, docks, help


def test_readme_key_table_matches_the_window(window):
    table = readme_keys()
    window_keys = {key for key, _what, _scopes in window_shortcuts(window)}
    assert set(table) - window_keys == set(), "keys the README names that no action has"
    assert window_keys - set(table) == set(), "keys of the window that the README's table does not list"
    assert {"B", "E", "F", "A", "P", "G", "S", "L", "H", "O", "U", "N", "Ctrl+Shift+C", "F1", "Ctrl+/"} <= set(table)


def _effects(window):
    """What each single-letter key of the README's table changes, read from the window's objects."""
    style = window.canvas.label_style
    return {"B": lambda: window.tools.tool is Tool.BRUSH, "E": lambda: window.tools.tool is Tool.ERASER,
            "F": lambda: window.tools.tool is Tool.FILL, "A": lambda: window.tools.tool is Tool.ACCEPT_REGION,
            "P": lambda: window.tools.tool is Tool.POLYGON, "G": lambda: window.tools.tool is Tool.GRABCUT,
            # No SAM checkpoint is configured here: S falls back to GrabCut, as the table says.
            "S": lambda: window.tools.tool is Tool.GRABCUT and "checkpoint" in window.statusBar().currentMessage(),
            "L": lambda: window.document.protection.unlabelled_only,
            "H": lambda: not window.canvas.label_layer.isVisible(),
            "O": lambda: style.contours,
            "U": lambda: not style.show_unlabelled,
            "N": lambda: window.document.image_path.name == "img_1.png"}


def test_each_single_letter_key_in_the_table_does_what_it_says(window, qtbot):
    table = readme_keys()
    effects = _effects(window)
    letters = sorted(key for key in table if len(key) == 1 and key.isalpha())
    assert set(letters) == set(effects), "a single-letter key in the README without a check here"
    assert window.canvas.label_style.show_unlabelled and window.document.image_path.name == "img_0.png"
    for letter in letters:
        window.tools.set_tool(Tool.ERASER if letter == "B" else Tool.BRUSH)  # so that a tool key changes something
        assert not effects[letter](), f"{letter} already in effect before pressing it"
        QTest.keyClick(window.canvas, letter.lower())
        qtbot.waitUntil(effects[letter], timeout=3000)
        if letter in "HOLU":
            QTest.keyClick(window.canvas, letter.lower())  # a toggle: back off, so the next key is seen alone


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text)
    return found.group(1).lower() if found else None


def test_no_two_entries_of_a_menu_share_an_alt_letter(window):
    """Two entries with one underlined letter make Alt+letter (or the letter in an open menu) only
    cycle between them instead of choosing one."""
    menus = [window.menuBar()] + [action.menu() for action in window.menuBar().actions() if action.menu()]
    clashes = []
    for menu in menus:
        seen: dict[str, str] = {}
        for action in menu.actions():
            letter = _mnemonic(action.text())
            if letter is not None and action.isVisible():
                if letter in seen:
                    clashes.append(f"{menu.title() or 'menu bar'}: {seen[letter]} / {action.text()}")
                seen[letter] = action.text()
    assert not clashes
    menu_bar_letters = {_mnemonic(action.text()) for action in window.menuBar().actions()} - {None}
    alt_keys = {key.lower() for key, _what, _scopes in window_shortcuts(window) if re.fullmatch(r"Alt\+\w", key)}
    assert not {f"alt+{letter}" for letter in menu_bar_letters} & alt_keys, "an Alt key that a menu title owns"
