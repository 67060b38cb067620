"""File > Open… (Ctrl+O): one dialog for an image, a folder, a project or a dataset root
(app/window/open_dialog.py, through `app.messages.choose_path`, the seam tests replace).

The dialog starts in the open project's folder, else the last project's (app/window/session.py), else
the user's home: the place the user most likely wants to open from.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from app import messages

TITLE = "Open an image, folder, project or dataset"


def start_folder(window: Any) -> Path:
    project = window.document.project
    if project is not None and project.root.is_dir():
        return project.root
    from app.window.session import last_session

    last = last_session()
    return last[0] if last is not None else Path.home()


def ask_open(window: Any) -> bool:
    """Ask for something to open and open it; False when cancelled or refused (the window says why)."""
    path = messages.choose_path(window, TITLE, start=str(start_folder(window)))
    return path is not None and window.open_path(path)
