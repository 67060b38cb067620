"""Per-image label maps and undo stacks of the open project: what `LabelDocument` keeps between images.

An `ImageSession` is one visited image's in-memory label map and its QUndoStack (member of the
document's `undo_group`). `ImageSessions` keeps a session while its image is shown and, after the user
switches away, for as long as it holds unsaved edits: they are never dropped silently (`unsaved()`
lists them for save-all and the close question). A session whose stack is clean is forgotten when
its image is left or saved in the background, so memory grows with unsaved images only. A session
whose edits were written outside the project (Save Labels As, `saved_elsewhere`) is clean but kept for
the rest of the project: the project's label file does not hold those edits, so forgetting the
session would show the old label on the next visit (and a second Save Labels As would write it).
`trim_undo(limit)` keeps the undo steps of all sessions within a memory cap, dropping the oldest
steps first (app/document/undo_budget.py), and says so once per project.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoGroup, QUndoStack

from app.document.undo_budget import dropped_sentence, plan_drops, without_oldest
from segmodels.constants import IGNORE_INDEX
from segmodels.stamps import FileStamp


@dataclass(eq=False)
class ImageSession:
    """What the document keeps per visited image while it is shown or has unsaved edits."""

    label_map: np.ndarray
    undo_stack: QUndoStack
    #: The image and label files as read when the session began, or as last saved (conflicts.py)
    image_stamp: FileStamp | None = None
    label_stamp: FileStamp | None = None


class ImageSessions:
    def __init__(self, undo_group: QUndoGroup, owner: QObject) -> None:
        self._undo_group = undo_group
        self._owner = owner  # parent of the undo stacks
        self._sessions: dict[Path, ImageSession] = {}
        self._told_dropped = False  # the status bar says once per project that undo steps were dropped
        self._elsewhere: set[Path] = set()  # saved outside the project: kept though clean (see above)

    def get(self, path: Path | None) -> ImageSession | None:
        return self._sessions.get(Path(path)) if path is not None else None

    def open(self, path: Path, shape: tuple[int, int], stored: np.ndarray | None) -> tuple[ImageSession, bool]:
        """The session of `path`: the kept one (unsaved edits in memory win over the file on disk),
        else a new one from `stored` (all-unlabelled when None). The flag says whether it is new."""
        session = self._sessions.get(path)
        if session is not None:
            return session, False
        label_map = stored if stored is not None else np.full(shape, IGNORE_INDEX, dtype=np.uint8)
        stack = QUndoStack(self._owner)
        self._undo_group.addStack(stack)
        session = self._sessions[path] = ImageSession(label_map, stack)
        return session, True

    def leave(self, path: Path | None) -> None:
        """The user leaves image `path`: forget its session unless it holds unsaved edits."""
        session = self.get(path)
        if session is not None and session.undo_stack.isClean() and Path(path) not in self._elsewhere:
            self._drop(path, session)

    def mark_saved(self, path: Path) -> None:
        """`path`'s label file now matches memory (`leave(path)` then forgets it unless shown)."""
        self._elsewhere.discard(path)
        self._sessions[path].undo_stack.setClean()

    def forget(self, path: Path) -> None:
        """Drop `path`'s session with its edits and undo steps (the user chose the file on disk)."""
        session = self.get(path)
        if session is not None:
            self._drop(Path(path), session)

    def saved_elsewhere(self, path: Path) -> None:
        """`path`'s label map was written outside the project: no longer unsaved, but kept in memory."""
        self._sessions[path].undo_stack.setClean()
        self._elsewhere.add(path)

    def clear(self) -> None:
        for path, session in list(self._sessions.items()):
            self._drop(path, session)
        self._told_dropped = False
        self._elsewhere.clear()

    def trim_undo(self, limit: int) -> str | None:
        """Drop the oldest undo steps, across all sessions, until they hold at most `limit` bytes.
        Returns the sentence for the status bar the first time steps are dropped, else None."""
        by_stack = {session.undo_stack: session for session in self._sessions.values()}
        drops = plan_drops(by_stack, limit)
        for stack, count in drops.items():
            session = by_stack[stack]
            session.undo_stack = without_oldest(stack, count, self._owner)
            was_active = self._undo_group.activeStack() is stack
            self._undo_group.addStack(session.undo_stack)
            if was_active:
                self._undo_group.setActiveStack(session.undo_stack)
            self._undo_group.removeStack(stack)
            stack.clear()  # frees the dropped steps now (kept ones live on in their clones); nothing is undone
            stack.deleteLater()
        if not drops or self._told_dropped:
            return None
        self._told_dropped = True
        return dropped_sentence(sum(drops.values()), limit)

    def unsaved(self) -> list[Path]:
        return [path for path, session in self._sessions.items() if not session.undo_stack.isClean()]

    def _drop(self, path: Path, session: ImageSession) -> None:
        del self._sessions[path]
        self._elsewhere.discard(path)
        self._undo_group.removeStack(session.undo_stack)
        session.undo_stack.deleteLater()
