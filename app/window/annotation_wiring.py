"""Annotation actions added to the main window (issue 16): `install_annotation_actions(window)`,
called once by `MainWindow.install_chrome`.

- Protect labels (L) with its per-class lock menu, in the toolbar (app/window/protect_control.py);
- Edit → Clean up labels… (Ctrl+Shift+C, app/window/cleanup_command.py);
- View → Zoom in (+ or =), Zoom out (-), Show labels (H: the overlay on or off, the image alone).

Single-key shortcuts are window-wide, and a focused text field keeps its keys: Qt offers each key to
the focused widget first (a ShortcutOverride event), and QLineEdit, QAbstractSpinBox and QTextEdit
take printable keys there. Every toolbar action's tooltip names its key.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from app.canvas.view import WHEEL_STEP
from app.window.protect_control import ProtectButton, make_protect_action

OVERLAY_KEY = "H"
CLEANUP_SHORTCUT = "Ctrl+Shift+C"


class AnnotationActions(NamedTuple):
    protect: QAction
    cleanup: QAction
    zoom_in: QAction
    zoom_out: QAction
    show_labels: QAction


def menu_named(window: Any, title: str) -> QMenu:
    """The window's menu called `title` (without its & marker), made at the end when missing."""
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return window.menuBar().addMenu(f"&{title}")


def _zoom(canvas, factor: float) -> None:
    """Zoom about the cursor when it is over the image view, else about the view's centre."""
    cursor = canvas.viewport().mapFromGlobal(QCursor.pos())
    anchor: QPoint | None = cursor if canvas.viewport().rect().contains(cursor) else None
    canvas.set_zoom(canvas.zoom * factor, anchor)


def open_cleanup_dialog(window: Any):
    from app.window.cleanup_command import CleanupDialog  # with its pixel code, when first asked for

    dialog = CleanupDialog(window.document, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()  # window-modal, without a nested event loop
    return dialog


def install_annotation_actions(window: Any) -> AnnotationActions:
    document, canvas = window.document, window.canvas
    protect = make_protect_action(document, window)
    cleanup = QAction("C&lean up labels…", window)  # &u is Undo's Alt letter
    cleanup.setShortcut(QKeySequence(CLEANUP_SHORTCUT))
    cleanup.setToolTip(f"Fill small holes and remove small islands ({CLEANUP_SHORTCUT})")
    cleanup.triggered.connect(lambda _=False: open_cleanup_dialog(window))
    zoom_in = QAction("Zoom &in", window)
    zoom_in.setShortcuts([QKeySequence("+"), QKeySequence("=")])
    zoom_in.triggered.connect(lambda _=False: _zoom(canvas, WHEEL_STEP))
    zoom_out = QAction("Zoom &out", window)
    zoom_out.setShortcut(QKeySequence("-"))
    zoom_out.triggered.connect(lambda _=False: _zoom(canvas, 1 / WHEEL_STEP))
    show_labels = QAction("Show &labels", window, checkable=True)
    show_labels.setChecked(True)
    show_labels.setShortcut(QKeySequence(OVERLAY_KEY))
    show_labels.toggled.connect(canvas.label_layer.setVisible)
    for action, tip in ((zoom_in, "Zoom in (+ or =)"), (zoom_out, "Zoom out (-)"),
                        (show_labels, f"Show or hide the label overlay ({OVERLAY_KEY})")):
        action.setToolTip(tip)
    edit_menu = menu_named(window, "Edit")
    entries = edit_menu.actions()
    before = window.actions_by_name.get("preferences")
    edit_menu.insertAction(before if before in entries else None, cleanup)
    edit_menu.insertAction(before if before in entries else None, protect)
    view_menu = menu_named(window, "View")
    first = view_menu.actions()[0] if view_menu.actions() else None
    for action in (zoom_in, zoom_out, show_labels):
        view_menu.insertAction(first, action)
    bar = window.findChild(QToolBar, "tools_toolbar")
    if bar is not None:
        # Beside the tools it changes (the toolbar's end falls into its overflow menu on small screens).
        entries = bar.actions()
        tools_end = entries.index(window.tool_actions.sam) + 1 if window.tool_actions.sam in entries else None
        after = entries[tools_end] if tools_end is not None and tools_end < len(entries) else None
        bar.insertWidget(after, ProtectButton(document, protect, bar))
        _name_keys_in_tooltips(bar)
    for action in (window.tool_actions.polygon, window.tool_actions.grabcut, window.tool_actions.sam):
        # How to use a multi-click tool, said when it is chosen (its tooltip, in full); not when S fell
        # back to GrabCut: the sentence saying why stays.
        action.triggered.connect(lambda _=False, a=action: a.isChecked()
                                 and window.statusBar().showMessage(a.toolTip(), 15000))
    window.actions_by_name.update(protect=protect, cleanup=cleanup, zoom_in=zoom_in, zoom_out=zoom_out,
                                  show_labels=show_labels)
    actions = AnnotationActions(protect, cleanup, zoom_in, zoom_out, show_labels)
    window.annotation_actions = actions
    return actions


def _name_keys_in_tooltips(bar: QToolBar) -> None:
    """"Fit to window (Ctrl+0)": a toolbar action's tooltip says its key, unless it already does."""
    for action in bar.actions():
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if key and f"({key}" not in action.toolTip():
            action.setToolTip(f"{action.text().replace('&', '')} ({key})")
