"""Recovery files when the disk refuses: write to the other recovery folder instead (issue 13, item 17).

A `RecoveryStore` has two folders: `<project>/.segstudio-recovery/` and the fallback in the user's
data folder. `write_recovery` tries the folder in use first; when the disk refuses it (full, over
quota, read-only, permission denied) it writes to the other one, which then stays in use, and returns
one sentence for the status bar naming where unsaved edits are now kept. Only a refusal by both
raises (Autosave then says "Autosave failed"). Any other error (a bug, an encoder failure) raises at
once: another folder would not help.

An image's recovery files live in one folder at a time: after each write its files in the other
folder are removed, so an older copy can never be restored over newer edits. If that removal fails
(the other folder became read-only) or a crash comes between the write and the removal,
`newest_per_image` keeps, at restore, the copy written last and removes the older one.

Qt-free: it runs on the autosave thread (app/document/recovery.py).
"""
from __future__ import annotations

import contextlib
import errno
from pathlib import Path

import numpy as np

from app.document.recovery_store import RecoveredEdit, RecoveryStore
from segmodels.errors import SegError, describe

#: errno values that mean "this folder's disk will not take the file": worth trying the other folder.
DISK_ERRNOS = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS,
                                          errno.EACCES, errno.EPERM) if code is not None)


def disk_reason(exc: BaseException) -> str | None:
    """Why the disk refused (e.g. "No space left on device"), or None when `exc` is not a disk
    refusal. segmodels.atomic reports an OSError as SegError raised `from` it, so the cause counts."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_ERRNOS:
            return seen.strerror or str(seen)
        seen = seen.__cause__
    return None


def write_recovery(store: RecoveryStore, image: Path, label_map: np.ndarray, edited_at: float) -> str | None:
    """Write one image's recovery files, into another folder of `store` when the disk refuses the
    one in use. Returns the status-bar sentence when the folder in use changed, else None; raises
    the first error when every folder refuses (or at once for an error that is not the disk's)."""
    first = store.write_base
    first_error: BaseException | None = None
    first_reason = ""
    for base in [first, *(b for b in store.bases if b != first)]:
        store.write_base = base   # png_path() follows it; only the autosave thread writes
        try:
            store.write(image, label_map, edited_at)
        except (SegError, OSError) as exc:
            reason = disk_reason(exc)
            if reason is None:
                store.write_base = first
                raise
            if first_error is None:
                first_error, first_reason = exc, reason
            continue
        remove_elsewhere(store, image, store.folder)
        if base == first:
            return None
        return (f"Autosave could not write to {describe(first)} ({first_reason}), so unsaved edits "
                f"are now kept in {describe(store.folder)}.")
    store.write_base = first
    assert first_error is not None
    raise first_error


def remove_elsewhere(store: RecoveryStore, image: Path, keep: Path) -> None:
    """Remove `image`'s recovery files from every folder of `store` but `keep` (a stale copy there
    could be restored over newer edits). A folder that refuses the removal is left as it is:
    `newest_per_image` still picks the newer copy at restore."""
    for folder in store.folders:
        if folder == keep or folder.is_symlink():  # never delete through a link (as RecoveryStore.remove)
            continue
        for suffix in (".png", ".json"):
            with contextlib.suppress(OSError):
                (folder / f"{Path(image).stem}{suffix}").unlink(missing_ok=True)


def newest_per_image(store: RecoveryStore, edits: list[RecoveredEdit]) -> list[RecoveredEdit]:
    """One recovered edit per image: the copy written last (by its PNG's mtime; on a tie the later
    folder, the fallback, which is only written after the project's folder failed). The older copy
    is removed, so it cannot come back at the next start."""
    newest: dict[Path, RecoveredEdit] = {}
    for edit in edits:
        kept = newest.get(edit.image)
        if kept is None or _mtime(edit.png) >= _mtime(kept.png):
            newest[edit.image] = edit
    for edit in newest.values():
        if sum(e.image == edit.image for e in edits) > 1:
            remove_elsewhere(store, edit.image, edit.png.parent)
    return [edit for edit in edits if newest[edit.image] is edit]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1
