"""The toolbar's "Protect labels" control, bound both ways to `document.protection`.

`make_protect_action` is a checkable action (key L) <-> `protection.unlabelled_only`: while on, brush,
eraser, fill, polygon, the smart tools and cleanup paint only into unlabelled pixels. `ProtectButton`
shows that action with a drop-down menu of one checkable "Never overwrite <class>" entry per class
<-> `protection.locked`, rebuilt when the classes change. The rule itself is applied by the document
(app/document/protection.py), never here.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.document.label_document import LabelDocument

SHORTCUT = "L"


def make_protect_action(document: LabelDocument, parent: QObject) -> QAction:
    action = QAction("Protect labels", parent, checkable=True)
    action.setShortcut(QKeySequence(SHORTCUT))
    protection = document.protection

    def show() -> None:
        with QSignalBlocker(action):
            action.setChecked(protection.unlabelled_only)
        locked = sorted(protection.locked)
        table = document.class_table
        names = [table[c].name if table is not None and c < len(table) else str(c) for c in locked]
        action.setIconText(f"Protect ({len(locked)})" if locked else "Protect")  # short: the toolbar is full
        action.setToolTip(f"Protect labels ({SHORTCUT}): every tool paints only into unlabelled pixels; the "
                          "arrow locks single classes" + (f". Locked: {', '.join(names)}" if names else ""))

    show()
    protection.changed.connect(show)
    action.toggled.connect(protection.set_unlabelled_only)
    return action


class ProtectButton(QToolButton):
    def __init__(self, document: LabelDocument, action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setDefaultAction(action)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.setMenu(QMenu(self))
        self.class_actions: dict[int, QAction] = {}
        document.classes_changed.connect(self._fill)
        document.protection.changed.connect(self._show_locks)
        self._fill()

    def _fill(self) -> None:
        menu = self.menu()
        menu.clear()
        self.class_actions = {}
        menu.addSection("Never overwrite")
        for info in self.document.class_table or ():
            entry = menu.addAction(f"{info.id}: {info.name}")
            entry.setCheckable(True)
            entry.toggled.connect(lambda on, c=info.id: self.document.protection.set_class_locked(c, on))
            self.class_actions[info.id] = entry
        self._show_locks()

    def _show_locks(self) -> None:
        locked = self.document.protection.locked
        for class_id, entry in self.class_actions.items():
            with QSignalBlocker(entry):
                entry.setChecked(class_id in locked)
