"""The Help menu: `install_help_menu(window)`, called once the docks are in (app/startup/gui.py).

Keyboard shortcuts (Ctrl+/), the user guide (F1: docs/guide.md in the system's viewer, or its path when
nothing can open it) and About. The guide lives beside the code (docs/), so a source checkout and an
installed copy built from it show the same text.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu

from app import messages

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
SHORTCUTS_KEY = "Ctrl+/"


def open_user_guide(window: Any, guide: Path = GUIDE, opener=QDesktopServices.openUrl) -> bool:
    """Open the guide in the system's viewer; when that fails (no viewer, no file), say where it is."""
    if guide.is_file() and opener(QUrl.fromLocalFile(str(guide))):
        return True
    where = f"The user guide is at {guide}" if guide.is_file() else f"The user guide {guide} is missing"
    messages.info(window, f"{where}; no program could open it here.")
    return False


def install_help_menu(window: Any) -> QMenu:
    from app.window.about import show_about
    from app.window.shortcuts_dialog import show_shortcuts

    menu = window.menuBar().addMenu("&Help")
    entries = (
        ("shortcuts", "&Keyboard shortcuts…", lambda: show_shortcuts(window), QKeySequence(SHORTCUTS_KEY),
         "List every key, with a filter"),
        ("user_guide", "Open the user &guide", lambda: open_user_guide(window),
         QKeySequence(QKeySequence.StandardKey.HelpContents), "A first run step by step: docs/guide.md"),
        ("about", "&About segstudio", lambda: show_about(window), None, "Versions, device and where files are kept"),
    )
    for name, text, slot, key, tip in entries:
        action = QAction(text, window)
        if key is not None:
            action.setShortcut(key)
            tip = f"{tip} ({key.toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False, run=slot: run())
        menu.addAction(action)
        window.actions_by_name[f"help_{name}"] = action
    window.help_menu = menu
    return menu
