"""Drag and drop onto the main window: a file or a folder opens as File > Open… would open it.

`install_drop_target(window)` makes the window accept drops and handles them with an event filter on
the window and on the canvas (where most drops land). What is dropped becomes one path (`dropped_path`):
- one local file or folder: that path;
- several files in one folder: that folder (its images become the project);
- several items from different folders, or nothing local (a web link): refused with one sentence.
A drag the window cannot use is refused at once (no drop cursor), except one whose mix of items can
only be judged on drop, which then says why in one sentence.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QObject, QTimer

from app import messages


class DropRefused(Exception):
    """The dropped items are not one thing segstudio can open; str() is the sentence for the user."""


def local_paths(mime: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def dropped_path(mime: QMimeData) -> Path:
    """The one path to open for what was dropped; DropRefused says why there is none."""
    paths = local_paths(mime)
    if not paths:
        raise DropRefused("Only files and folders on this computer can be opened: drop an image, a folder "
                          "or a project.")
    if len(paths) == 1:
        return paths[0]
    if any(path.is_dir() for path in paths):
        raise DropRefused(f"{len(paths)} items were dropped, folders among them: drop one folder or project at "
                          "a time.")
    folders = {path.parent for path in paths}
    if len(folders) > 1:
        common = Path(os.path.commonpath([str(folder) for folder in folders]))
        raise DropRefused(f"The {len(paths)} dropped files are in {len(folders)} different folders (under "
                          f"'{common}'): drop files from one folder, or the folder itself.")
    return folders.pop()


class DropTarget(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        window.setAcceptDrops(True)
        # The canvas's scene accepts every drag entering it and then drops it unused, so the drops the
        # user aims at the image are caught on the canvas's viewport before the scene sees them.
        for target in (window, window.canvas.viewport()):
            target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if local_paths(event.mimeData()):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        if kind == QEvent.Type.Drop:
            event.acceptProposedAction()
            try:
                path: Path | str = dropped_path(event.mimeData())
            except DropRefused as refused:
                path = str(refused)
            # After the drop has returned: a question (unsaved edits?) or a message box inside the drop
            # handler would hold the dragging program's drag until it is answered.
            QTimer.singleShot(0, self, lambda: self._open(path))
            return True
        return False

    def _open(self, path: Path | str) -> None:
        if isinstance(path, str):
            messages.error(self.window, path)
        else:
            self.window.open_path(path)


def install_drop_target(window: Any) -> DropTarget:
    return DropTarget(window)
