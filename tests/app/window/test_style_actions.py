"""The View menu's Contours (O) and Show unlabelled (U) toggles follow the canvas's label style
both ways, and say their key."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from support.projects import make_project
from support.windows import shown_window


@pytest.fixture
def window(qtbot, tmp_path, messages):
    yield from shown_window(qtbot, make_project(tmp_path / "proj", count=1).root)


def test_keys_toggle_the_style_and_the_menu_shows_it(window, qtbot):
    style, actions = window.canvas.label_style, window.style_actions
    assert "(O)" in actions.contours.toolTip() and "(U)" in actions.unlabelled.toolTip()
    assert actions.contours in window._view_menu.actions() and actions.unlabelled in window._view_menu.actions()
    assert not style.contours and style.show_unlabelled
    window.canvas.setFocus()
    QTest.keyClick(window, Qt.Key.Key_O)
    assert style.contours and actions.contours.isChecked()
    QTest.keyClick(window, Qt.Key.Key_U)
    assert not style.show_unlabelled and not actions.unlabelled.isChecked()
    style.set_contours(False)  # the model -> the check mark
    assert not actions.contours.isChecked()
