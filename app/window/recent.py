"""File > Open Recent: the last `MAX_RECENT` projects opened, newest first, kept in QSettings.

`RecentProjects` is the list (no widgets): `add(path)` puts a project first (once), `entries()` reads
it back, `clear()` empties it. `install_recent_menu(window)` adds the submenu below File > Open…; it is
rebuilt each time it is shown, so a project deleted or unplugged since is shown as missing (greyed,
"(missing)", its path in the tooltip) rather than failing when clicked. Opening a project (by any
route: Open…, drop, the command line) adds it, through `document.project_changed`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

from app.preferences import APPLICATION, ORGANIZATION

RECENT_KEY = "recent/projects"
MAX_RECENT = 10


class RecentProjects:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)

    def entries(self) -> list[Path]:
        """Newest first. A hand-edited or foreign value reads as what of it is usable."""
        raw = self._settings.value(RECENT_KEY, [])
        if isinstance(raw, str):  # QSettings returns a one-entry list from the file as a plain string
            raw = [raw] if raw else []
        if not isinstance(raw, list):
            return []
        paths: list[Path] = []
        for entry in raw:
            if isinstance(entry, str) and entry and Path(entry) not in paths:
                paths.append(Path(entry))
        return paths[:MAX_RECENT]

    def add(self, path: str | Path) -> None:
        path = Path(path).absolute()
        self._store([path] + [entry for entry in self.entries() if entry != path])

    def remove(self, path: str | Path) -> None:
        self._store([entry for entry in self.entries() if entry != Path(path)])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(RECENT_KEY, [str(path) for path in paths[:MAX_RECENT]])
        self._settings.sync()


def fill_recent_menu(menu: QMenu, window: Any, recent: RecentProjects | None = None) -> None:
    """(Re)build `menu`: one entry per recent project (mnemonics 1..9, 0: Alt+F, R, then the digit),
    missing ones disabled, then "Clear list"."""
    recent = recent or RecentProjects()
    menu.clear()
    entries = recent.entries()
    for number, path in enumerate(entries, start=1):
        missing = not path.exists()
        text = f"&{number % 10} {path.name or path}" + (" (missing)" if missing else "")
        action = menu.addAction(text)
        action.setToolTip(f"{path} — no longer there" if missing else str(path))
        action.setStatusTip(action.toolTip())
        action.setEnabled(not missing)
        action.triggered.connect(lambda _=False, p=path: window.open_path(p))
    if not entries:
        menu.addAction("No recent projects").setEnabled(False)
    menu.addSeparator()
    clear = menu.addAction("&Clear list")
    clear.setEnabled(bool(entries))
    clear.triggered.connect(lambda _=False: recent.clear())


def install_recent_menu(window: Any, file_menu: QMenu) -> QMenu:
    """File > Open Recent, just below File > Open…; remembers every project the window opens."""
    menu = QMenu("Open &Recent", window)
    menu.setObjectName("recent_menu")
    menu.setToolTipsVisible(True)
    menu.aboutToShow.connect(lambda: fill_recent_menu(menu, window))
    fill_recent_menu(menu, window)
    entries = file_menu.actions()
    open_action = window.actions_by_name.get("open")
    after = entries.index(open_action) + 1 if open_action in entries else 0
    file_menu.insertMenu(entries[after] if after < len(entries) else None, menu)
    window.document.project_changed.connect(lambda: _remember(window))
    _remember(window)  # the project opened before the menu existed (at start-up)
    window.recent_menu = menu
    return menu


def _remember(window: Any) -> None:
    project = window.document.project
    if project is not None:
        RecentProjects().add(project.root)

