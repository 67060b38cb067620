"""Issue 16 item 4 in the real window: S chooses Segment Anything (its key named in the tooltip, in the
Tools menu and the toolbar); without a checkpoint the status bar says where to get one and GrabCut is
the tool; with one chosen in the preferences, S is the tool."""
from __future__ import annotations

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolBar

from app.canvas.tools import Tool
from app.preferences import SAM_WEIGHTS_PATH, Preferences
from segmodels.prompts.base import NO_WEIGHTS
from support.projects import make_project
from support.windows import shown_window


@pytest.fixture
def window(qtbot, tmp_path, messages):
    yield from shown_window(qtbot, make_project(tmp_path / "proj", count=1).root, focus=True)


def test_s_without_a_checkpoint_says_where_to_get_one_and_uses_grabcut(window):
    action = window.tool_actions.sam
    assert action.toolTip().startswith("Segment Anything (S)") and "Ctrl or Shift+click" in action.toolTip()
    assert action in window.findChild(QToolBar, "tools_toolbar").actions()
    QTest.keyClick(window.canvas, "s")
    assert window.tools.tool is Tool.GRABCUT and window.tool_actions.grabcut.isChecked() and not action.isChecked()
    assert window.statusBar().currentMessage().startswith(NO_WEIGHTS[:-1])


def test_s_with_a_checkpoint_chosen_is_the_tool(window, tmp_path):
    (tmp_path / "sam.pth").write_bytes(b"not read until the first prompt")
    Preferences().store(SAM_WEIGHTS_PATH, str(tmp_path / "sam.pth"))
    QTest.keyClick(window.canvas, "s")
    assert window.tools.tool is Tool.SAM and window.tool_actions.sam.isChecked()
    assert window.statusBar().currentMessage() == window.tool_actions.sam.toolTip()  # how to use it
