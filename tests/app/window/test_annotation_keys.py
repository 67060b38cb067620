"""Issue 16 in the real window: a key for every tool (named in its tooltip), + = - zoom, H shows or
hides the labels, L protects labels (and the lock menu), Edit → Clean up labels…, and keys typed
into a text field stay in the text field."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QToolBar

from app.canvas.tools import Tool
from app.canvas.view import WHEEL_STEP
from app.window.cleanup_command import CleanupDialog
from app.window.label_wiring import install_label_docks
from app.window.protect_control import ProtectButton
from segmodels.constants import IGNORE_INDEX
from support.projects import make_project
from support.windows import shown_window


@pytest.fixture
def window(qtbot, tmp_path, messages):
    yield from shown_window(qtbot, make_project(tmp_path / "proj", count=2).root, focus=True)


def test_every_tool_has_a_key_named_in_its_tooltip(window):
    for action, tool, key in ((window.tool_actions.polygon, Tool.POLYGON, "P"),
                              (window.tool_actions.grabcut, Tool.GRABCUT, "G"),
                              (window.tool_actions.brush, Tool.BRUSH, "B")):
        assert action.toolTip().startswith(f"{action.text()} ({key})")
        QTest.keyClick(window.canvas, key.lower())
        assert window.tools.tool is tool
        if tool is not Tool.BRUSH:  # how to use it, in the status bar
            assert "Esc cancels" in window.statusBar().currentMessage()
    bar = window.findChild(QToolBar, "tools_toolbar")
    for action in bar.actions():
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert not key or f"({key}" in action.toolTip(), action.text()


@pytest.mark.parametrize(("key", "factor"), [(Qt.Key.Key_Plus, WHEEL_STEP), (Qt.Key.Key_Equal, WHEEL_STEP),
                                             (Qt.Key.Key_Minus, 1 / WHEEL_STEP)])
def test_plus_equal_minus_zoom(window, key, factor):
    before = window.canvas.zoom
    QTest.keyClick(window.canvas, key)
    assert window.canvas.zoom == pytest.approx(before * factor)


def test_h_hides_and_shows_the_label_overlay(window):
    layer = window.canvas.label_layer
    assert layer.isVisible()
    QTest.keyClick(window.canvas, Qt.Key.Key_H)
    assert not layer.isVisible() and not window.annotation_actions.show_labels.isChecked()
    QTest.keyClick(window.canvas, Qt.Key.Key_H)
    assert layer.isVisible()


def test_l_and_the_lock_menu_set_protection_both_ways(window):
    protection = window.document.protection
    QTest.keyClick(window.canvas, Qt.Key.Key_L)
    assert protection.unlabelled_only and window.annotation_actions.protect.isChecked()
    protection.set_unlabelled_only(False)
    assert not window.annotation_actions.protect.isChecked()
    button = window.findChild(ProtectButton)
    button.class_actions[1].trigger()
    assert protection.locked == {1}
    protection.set_locked({2})
    assert [a.isChecked() for a in button.class_actions.values()] == [False, False, True]
    protect = window.annotation_actions.protect
    assert protect.iconText() == "Protect (1)" and "(L)" in protect.toolTip() and "Locked: dog" in protect.toolTip()


def test_keys_typed_into_a_new_class_name_stay_there(window, qtbot):
    docks = install_label_docks(window)
    qtbot.waitUntil(docks.classes.table.isVisible)
    fired = []
    for action in window.findChildren(type(window.tool_actions.brush)):
        if not action.shortcut().isEmpty():
            action.triggered.connect(lambda _=False, a=action: fired.append(a.text()))
    QTest.mouseClick(docks.classes.add_button, Qt.MouseButton.LeftButton)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    typed = "ebfapgl1[]h+=-`0"
    editor.selectAll()
    QTest.keyClicks(editor, typed)
    assert editor.text() == typed and fired == [] and window.tools.tool is Tool.BRUSH
    QTest.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits in a queued call
    qtbot.waitUntil(lambda: window.document.class_table.names[-1] == typed)


@pytest.mark.parametrize("kind", ["spin", "text"])
def test_keys_typed_into_a_spin_box_or_text_edit_stay_there(window, qtbot, kind):
    from PySide6.QtWidgets import QDockWidget, QSpinBox, QTextEdit

    field = QSpinBox() if kind == "spin" else QTextEdit()
    if kind == "spin":
        field.setRange(0, 10**6)
    dock = QDockWidget("Settings")
    dock.setWidget(field)
    window.add_dock(dock, Qt.DockWidgetArea.RightDockWidgetArea)
    qtbot.waitUntil(field.isVisible)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    before = (window.tools.tool, window.document.view.active_class, window.canvas.zoom)
    keys = "120" if kind == "spin" else "pg12=-hl"
    if kind == "spin":
        field.lineEdit().selectAll()
    QTest.keyClicks(field, keys)
    shown = field.value() if kind == "spin" else field.toPlainText()
    assert shown == (120 if kind == "spin" else keys)
    assert (window.tools.tool, window.document.view.active_class, window.canvas.zoom) == before
    assert not window.document.protection.unlabelled_only


def test_cleanup_dialog_cleans_in_one_undo_step(window, qtbot):
    document = window.document
    with document.edit("plant") as stroke:
        stroke.paint(10, 10, np.ones((2, 2), bool), IGNORE_INDEX)   # a hole in class 1
        stroke.paint(20, 45, np.ones((1, 1), bool), 2)              # an island in class 0
    document.undo_stack.clear()
    planted = document.label_map.copy()
    window.annotation_actions.cleanup.trigger()
    dialog = window.findChild(CleanupDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.max_area.setValue(10)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.busy and dialog.progress.text() == "Cleaning…"  # in a worker; the dialog waits
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1)
    assert document.label_map[10, 10] == 1 and document.label_map[20, 45] == 0
    assert int((document.label_map != planted).sum()) == 5
    assert document.undo_stack.count() == 1 and "filled 1 hole(s) and removed 1 island(s)" in \
        window.statusBar().currentMessage()
    document.undo()
    assert np.array_equal(document.label_map, planted)


def test_cleanup_is_not_applied_to_another_image(window):
    from app.window.cleanup_command import commit_cleanup
    from segmodels.labels.cleanup import clean_labels

    document = window.document
    label_map = document.label_map
    snapshot = label_map.copy()
    result = clean_labels(snapshot, 10)
    window.image_list.next_action.trigger()
    assert document.label_map is not label_map
    assert "no longer the image" in commit_cleanup(document, label_map, snapshot, result)
    assert document.undo_stack.count() == 0
