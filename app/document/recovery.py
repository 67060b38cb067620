"""Autosave and crash recovery: unsaved label edits survive a crash or `kill -9`.

Contract:
- Within `AUTOSAVE_DELAY_MS` (1 s, plus the encode on a background thread) of a stroke, undo or
  redo, the edited label maps are written to recovery files, atomically, in `<project>/.segstudio-recovery/`
  (app/document/recovery_store.py). Never over the label itself. A project
  folder that cannot be written keeps its recovery files in the user's data folder instead.
- The timer is started by the first edit after a write and not restarted by later ones, so painting
  without pause still autosaves every second: a crash loses at most the last ~1-2 s of strokes.
- A recovery file is removed when its image is saved, when its edits are undone back to the saved
  state, and when the user discards the unsaved edits of an image (`discard`).
- `restore()` (called once a project is open) puts recovered edits back into the document as one
  undo step per image ("Recovered unsaved edits"), so they show as unsaved; the status bar says so.
  The user saves them, or undoes / closes without saving to discard them.
- A recovery write the disk refuses (full disk, read-only) goes to the other recovery folder (the
  user's data folder, or back beside the project), and the status bar names the folder once
  (app/document/recovery_fallback.py). Only when both refuse is it "Autosave failed", one status-bar
  sentence; the edit stays in memory and the next edit tries again.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.document.recovery_fallback import newest_per_image, write_recovery
from app.document.recovery_store import RecoveredEdit, RecoveryStore
from segmodels.errors import SegError, describe

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 1000
RESTORE_TEXT = "Recovered unsaved edits"


WriteJob = tuple[Path, "np.ndarray | None", float]   # image, label map copy (None = remove), edited at
Failure = tuple[Path, float, str]                      # image, edited at, sentence


def _write_jobs(store: RecoveryStore, jobs: list[WriteJob]) -> tuple[list[Failure], list[str]]:
    """Runs on the autosave thread: encode and write (or remove) each recovery file. Returns the
    failures and the notices (the folder in use changed)."""
    failures, notices = [], []
    for image, label_map, edited_at in jobs:
        try:
            if label_map is None:
                store.remove(image)   # undone back to the saved state
            elif (notice := write_recovery(store, image, label_map, edited_at)) is not None:
                notices.append(notice)
        except (SegError, OSError) as exc:
            failures.append((image, edited_at, str(exc)))
    return failures, notices


class Autosave(QObject):
    """Writes the document's unsaved label maps to recovery files and restores them after a crash.

    The GUI thread only copies the label maps; encoding and writing happen on one background thread
    (an 8k label takes most of a second to encode), in order, so a removal after a save can never
    be overtaken by an older write.
    """

    _jobs_done = Signal(object)   # (list[Failure], list[str] notices), from the autosave thread
    restore_notice = Signal(str)  # what restore() brought back: the window keeps it until dismissed

    def __init__(self, document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.store: RecoveryStore | None = None
        self.last_notice = ""  # for a status bar built after restore() ran (segstudio builds it after the first frame)
        self._pending: dict[Path, float] = {}   # image -> time of its first edit not yet written
        self._failed = False
        self._pool: ThreadPoolExecutor | None = None  # made at the first write: see _executor
        self._jobs_done.connect(self._handle_result)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(AUTOSAVE_DELAY_MS)
        self.timer.timeout.connect(self.flush)
        document.project_changed.connect(self._on_project_changed)
        document.edit_committed.connect(self._on_edit)
        self._last_stack = None
        document.undo_group.indexChanged.connect(self._on_undo_index)
        document.image_saved.connect(self.forget)

    # -- writing -----------------------------------------------------------------------------------
    def _on_project_changed(self) -> None:
        self.timer.stop()
        self._pending.clear()
        self.release()
        project = self.document.project
        self.store = RecoveryStore(project) if project is not None else None
        if self.store is not None:
            self.store.claim()  # recovery files belong to one process: recovery_lock.py

    def release(self) -> None:
        """Give up this project's recovery folders (the window closes or opens another project),
        after every write already handed to the autosave thread."""
        if self.store is None:
            return
        if self._pool is not None:
            self._pool.submit(self.store.release).result()
        else:
            self.store.release()

    def _on_edit(self, image: Path | None) -> None:
        if image is None or self.store is None:
            return
        self._pending.setdefault(Path(image), time.time())
        if not self.timer.isActive():  # not restarted: continuous painting still autosaves
            self.timer.start()

    def _on_undo_index(self, _index: int) -> None:
        """Undo/redo changed the current label map; a mere switch of image (active stack) did not."""
        stack = self.document.undo_stack
        switched = stack is not self._last_stack
        self._last_stack = stack
        if not switched:
            self._on_edit(self.document.image_path)

    @property
    def _executor(self) -> ThreadPoolExecutor:
        """The autosave thread, started when first needed: most sessions open and look before they
        edit, and concurrent.futures costs the first frame ~5 ms to import."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="segstudio-autosave")
        return self._pool

    def forget(self, image: Path) -> None:
        """`image`'s edits are kept for good (saved, or written elsewhere by Save Labels As): its
        recovery files go, after any write already queued."""
        self._pending.pop(Path(image), None)
        if self.store is not None:
            self._executor.submit(self.store.remove, Path(image))

    def flush(self, wait: bool = False) -> bool:
        """Hand every pending image to the autosave thread (the timer calls this). With `wait`,
        block until everything handed over so far is written; False if a write failed."""
        self.timer.stop()
        if self.store is None or not self._pending:
            if wait and self._pool is not None:
                self._pool.submit(lambda: None).result()  # what an earlier flush handed over is written
            return not self._failed if wait else True
        unsaved = set(self.document.unsaved_images())
        jobs: list[WriteJob] = []
        for image, edited_at in self._pending.items():
            label_map = self.document.label_map_of(image)
            keep = label_map is not None and image in unsaved
            jobs.append((image, label_map.copy() if keep else None, edited_at))
        self._pending.clear()
        future = self._executor.submit(_write_jobs, self.store, jobs)
        if wait:
            return self._handle_result(future.result())
        future.add_done_callback(lambda done: self._jobs_done.emit(done.result()))
        return True

    def _handle_result(self, result: tuple[list[Failure], list[str]]) -> bool:
        """On the GUI thread: failed images go back to pending (the next edit retries them)."""
        failures, notices = result
        for notice in notices:
            self.document.status_message.emit(notice)
            log.warning("%s", notice)
        for image, edited_at, sentence in failures:
            self._pending.setdefault(image, edited_at)
            if not self._failed:  # one notice per failure streak, not one per stroke
                self._failed = True
                self.document.status_message.emit(f"Autosave failed: {sentence} Your edits are still in memory.")
            log.warning("autosave failed: %s", sentence)
        if not failures and self._failed:
            self._failed = False
            self.document.status_message.emit("Autosave works again.")
        return not failures

    def discard(self, images: list[Path]) -> None:
        """The user chose not to save the edits of `images`: remove their recovery files (after any
        write already queued, so none can come back). Recovery files of other images, such as the
        ones a restore reported as kept, stay."""
        self.timer.stop()
        for image in images:
            self._pending.pop(Path(image), None)
        if self.store is not None:
            store = self.store
            self._executor.submit(lambda: [store.remove(Path(image)) for image in images]).result()

    # -- restoring ---------------------------------------------------------------------------------
    def restore(self) -> list[Path]:
        """Put recovered edits back into the document (one undo step each); returns their images."""
        if self.store is None:
            self._on_project_changed()
        if self.store is None:
            return []
        edits, problems = self.store.entries()
        edits = newest_per_image(self.store, edits)  # one copy per image, should both folders hold one
        current = self.document.image_path
        restored = [edit.image for edit in edits if self._restore_one(edit, problems)]
        if current is not None and self.document.image_path != current:  # back to the image shown before
            self.document.open_image(current)
        notice = _restore_notice(restored, edits, problems)
        if notice:
            self.document.status_message.emit(notice)
            self.last_notice = notice
            self.restore_notice.emit(notice)
        return restored

    def _restore_one(self, edit: RecoveredEdit, problems: list[str]) -> bool:
        document = self.document
        if document.image_path != edit.image and not document.open_image(edit.image):
            problems.append(f"Recovered edits for {describe(edit.image)} kept in {describe(edit.png)}: "
                            "the image cannot be opened.")
            return False
        if document.label_map is None or document.label_map.shape != edit.label_map.shape:
            problems.append(f"Recovery file {describe(edit.png)} does not match the size of its image; kept.")
            return False
        mask = np.ones(edit.label_map.shape, dtype=bool)
        if not document.apply_mask(0, 0, mask, edit.label_map, RESTORE_TEXT, protected=False):
            self.store.remove(edit.image)  # identical to the saved label: nothing to recover
            return False
        return True


def _restore_notice(restored: list[Path], edits: list[RecoveredEdit], problems: list[str]) -> str:
    parts = []
    if restored:
        names = ", ".join(p.name for p in restored[:5]) + (" …" if len(restored) > 5 else "")
        changed = [e.image.name for e in edits if e.image in restored and e.base_changed]
        parts.append(f"Restored unsaved edits of {len(restored)} image(s) from the last session: {names}. "
                     "Save to keep them; undo or close without saving to discard them.")
        if changed:
            parts.append(f"The label file of {', '.join(changed)} changed since; saving replaces it.")
    parts.extend(problems)
    return " ".join(parts)

