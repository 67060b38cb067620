"""File > Import… (Ctrl+Shift+I): the import dialog, and opening what it imported in the window.

`install_import_action(window)` puts the action in the File menu just below "Open folder…" (both
bring a dataset into the window); app/window/label_wiring.py calls it with the other File actions.
The dialog is made when first asked for, so its format code costs nothing at start-up.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from app.docks.import_dialog import ImportDialog

SHORTCUT = "Ctrl+Shift+I"


def open_import_dialog(window: Any) -> ImportDialog:
    from app.docks.import_dialog import ImportDialog

    dialog = ImportDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one dialog per use; reject() stops its worker
    dialog.setModal(True)
    # Queued after the dialog has closed itself, so the window's own questions (unsaved edits) come on top.
    dialog.open_requested.connect(lambda folder: window.open_path(Path(folder)), Qt.ConnectionType.QueuedConnection)
    dialog.show()
    return dialog


def install_import_action(window: Any, menu: QMenu) -> QAction:
    """Add File > Import… to `menu` below "Open folder…" (else first)."""
    action = QAction("&Import…", window)
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setToolTip("Make a project from COCO, labelme or CVAT annotations")
    action.triggered.connect(lambda _=False: open_import_dialog(window))
    entries = menu.actions()
    open_action = window.actions_by_name.get("open")
    if open_action in entries and entries.index(open_action) + 1 < len(entries):
        menu.insertAction(entries[entries.index(open_action) + 1], action)
    elif open_action in entries:
        menu.addAction(action)
    else:
        menu.insertAction(entries[0] if entries else None, action)
    window.actions_by_name["import"] = action
    return action
