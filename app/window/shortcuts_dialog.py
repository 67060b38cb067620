"""Help > Keyboard shortcuts: every key the window answers to, in a table with a filter box.

The rows come from the window's own QActions and QShortcuts at the moment the dialog opens
(`shortcut_rows`), never from a list typed by hand, so the table cannot drift from the keys: an action
added by any dock or helper shows up, a key that changed shows its new binding.
"""
from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

NATIVE = QKeySequence.SequenceFormat.NativeText


class ShortcutRow(NamedTuple):
    action: str  # what the key does, as its menu entry reads (mnemonic "&" removed)
    keys: str    # every binding, e.g. "Ctrl+Shift+Z, Ctrl+Y"


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").removesuffix("…").strip()


def shortcut_rows(window: QWidget) -> list[ShortcutRow]:
    """One row per action or shortcut with at least one key, sorted by what it does."""
    rows: set[ShortcutRow] = set()
    for action in window.findChildren(QAction):
        keys = [key.toString(NATIVE) for key in action.shortcuts() if not key.isEmpty()]
        if keys and _plain(action.text()):
            rows.add(ShortcutRow(_plain(action.text()), ", ".join(keys)))
    for shortcut in window.findChildren(QShortcut):
        keys = [key.toString(NATIVE) for key in shortcut.keys() if not key.isEmpty()]
        what = shortcut.whatsThis() or shortcut.objectName()
        if keys and what:
            rows.add(ShortcutRow(_plain(what), ", ".join(keys)))
    return sorted(rows, key=lambda row: (row.action.lower(), row.keys))


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = shortcut_rows(window)
        self.filter_box = QLineEdit(self)
        self.filter_box.setPlaceholderText("Filter by action or key, e.g. 'save' or 'ctrl+'")
        self.filter_box.setToolTip("Show only the shortcuts whose action or key contains this text")
        self.filter_box.setAccessibleName("Filter shortcuts")
        self.filter_box.setClearButtonEnabled(True)
        self.table = QTableWidget(len(self.rows), 2, self)
        self.table.setAccessibleName("Shortcuts")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for index, row in enumerate(self.rows):
            self.table.setItem(index, 0, QTableWidgetItem(row.action))
            self.table.setItem(index, 1, QTableWidgetItem(row.keys))
        self.filter_box.textChanged.connect(self.apply_filter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.table)
        self.resize(460, 520)
        self.filter_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def apply_filter(self, text: str) -> None:
        wanted = text.strip().lower()
        for index, row in enumerate(self.rows):
            found = not wanted or wanted in row.action.lower() or wanted in row.keys.lower()
            self.table.setRowHidden(index, not found)

    def visible_rows(self) -> list[ShortcutRow]:
        return [row for index, row in enumerate(self.rows) if not self.table.isRowHidden(index)]


def show_shortcuts(window: QWidget) -> ShortcutsDialog:
    dialog = ShortcutsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
