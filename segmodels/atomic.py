"""Atomic file writes, and reading regular files only.

Writes: a temporary file in the target's folder, fsync, then os.replace. A crash, a full disk or a
failing encoder mid-write leaves the previous file intact and no partial file behind, because the
temporary file is removed on any error. Temporary names are short and fixed in length
(`.sgs-<pid>-<8 random>.tmp`), so any file name that fits the file system can be written, and they
name their process, so `sweep_stale_temporaries` removes what a killed process left (kill -9 runs no
clean-up) and never a temporary of a live process or a file segstudio did not name.

Reads: every reader of a user's file (image, label, one-hot stack, recovery file, project file) first
asks `require_regular_file`, or opens through `open_regular`: a FIFO would block the reader for good
and a link to /dev/zero would read until memory runs out, so anything but a regular file is refused
with one sentence naming the file.

Bulk jobs (imports, exports, conversions) write inside a `DurableBatch` instead: each file still goes
to a temporary name first, but without its own fsync; the batch makes all pending data durable with
one file-system sync, and only then renames the files into place (docs/formats.md, "Durable
batches"). So no name ever points at data that a crash could lose, at the cost of one sync per
batch instead of one per file.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from segmodels.disksync import WRITEBACK_BYTES, start_writeback, sync_to_disk
from segmodels.errors import SegError, capitalised, describe

TEMP_PREFIX = ".sgs-"
TEMP_SUFFIX = ".tmp"
#: What `atomic_open` names its temporaries (mkstemp adds 8 characters of [a-z0-9_]).
_TEMP_NAME = re.compile(r"^\.sgs-(\d+)-[a-z0-9_]{8}\.tmp$")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`; on success it replaces `path` in one step."""
    target = Path(path)
    if "w" not in mode:
        raise ValueError("atomic_open is for writing")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX,
                                        dir=target.parent)
    except OSError as exc:
        raise SegError(f"Cannot write {describe(target)}: {exc.strerror or exc}.", path=target) from exc
    tmp = Path(tmp_name)
    batch = _ACTIVE_BATCH.get()
    try:
        with os.fdopen(fd, mode) as handle:
            # mkstemp creates the file 0600; give it the mode a plain open() would (or the old file's).
            os.chmod(tmp, _target_mode(target))
            yield handle
            handle.flush()
            if batch is None:
                os.fsync(handle.fileno())
            elif handle.tell() >= WRITEBACK_BYTES:
                start_writeback(handle.fileno())  # the disk writes it while the job makes the next file
        if batch is None:
            os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise SegError(f"Cannot write {describe(target)}: {exc.strerror or exc}.", path=target) from exc
        raise
    if batch is not None:
        batch.add(tmp, target)  # renamed into place once the batch has synced its data


def _target_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    # os.umask can only be read by setting it; do it once (umask rarely changes within a process).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 `text` to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


# -- durable batches ---------------------------------------------------------------------------------
#: Files a batch holds before it syncs and renames them (bounds how much a crash costs to redo).
BATCH_FILES = 200
#: Seconds a file may wait in a batch before the batch commits, so a slow job's files appear steadily.
BATCH_SECONDS = 2.0

class BatchSyncFailed(SegError):
    """A batch could not be made durable: the whole job fails (earlier items' files are lost too),
    never just the item that happened to trigger the commit."""


_ACTIVE_BATCH: contextvars.ContextVar[DurableBatch | None] = contextvars.ContextVar("segstudio_batch", default=None)


class DurableBatch:
    """Durable writes for a bulk job: one file-system sync per commit instead of one fsync per file.

    Writes through this module while `active()` go to temporary files that are renamed into place
    only after `commit()` has synced their data: a crash at any point leaves whole files or no file
    (the temporaries are swept later), never a name pointing at lost data. The job calls
    `commit_if_due()` between items (every BATCH_FILES files or BATCH_SECONDS), outside its per-item
    error handling, so a failing sync fails the job rather than one item; leaving `with DurableBatch()`
    commits the rest, also on an error or a stop (what was written completely is kept, as when each
    file is written on its own). A pending file is not visible at its name yet: a job that checks
    names it wrote earlier asks `holds()` and commits first.

        with DurableBatch() as batch:
            for item in items:
                batch.commit_if_due()
                with batch.active():
                    atomic_write_bytes(target, data)
                yield step  # not active across a yield: the caller's own writes stay single
    """

    def __init__(self, max_files: int = BATCH_FILES, max_seconds: float = BATCH_SECONDS) -> None:
        self._pending: dict[Path, Path] = {}  # target -> its temporary, in writing order
        self._names: set[str] = set()  # the targets, case-folded (see `holds`)
        self._max_files = max_files
        self._max_seconds = max_seconds
        self._since = 0.0
        self._swept: set[Path] = set()  # folders already cleared of a killed job's temporaries
        self.swept = Swept(0, 0)

    def __enter__(self) -> DurableBatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.commit()

    @contextlib.contextmanager
    def active(self) -> Iterator[DurableBatch]:
        """Route this thread's atomic writes into the batch until the block ends."""
        token = _ACTIVE_BATCH.set(self)
        try:
            yield self
        finally:
            _ACTIVE_BATCH.reset(token)

    def add(self, tmp: Path, target: Path) -> None:
        """Take a complete temporary file for `target` (a later write of the same target replaces it)."""
        if not self._pending:
            self._since = time.monotonic()
        if target.parent not in self._swept:
            # A job killed while writing here (an export into the same folder, say) left temporaries that
            # no project open ever sweeps; one look per folder a job writes into removes them.
            self._swept.add(target.parent)
            found = sweep_stale_temporaries([target.parent])
            self.swept = Swept(self.swept.files + found.files, self.swept.size + found.size)
        older = self._pending.pop(target, None)
        if older is not None:
            with contextlib.suppress(OSError):
                older.unlink()
        self._pending[target] = tmp
        self._names.add(_folded(target))

    def commit_if_due(self) -> None:
        if len(self._pending) >= self._max_files or (self._pending and time.monotonic() - self._since
                                                     >= self._max_seconds):
            self.commit()

    def holds(self, path: str | os.PathLike[str]) -> bool:
        """Whether a write of `path` is pending (compared case-folded: a case-insensitive folder may
        see the pending name already taken)."""
        return _folded(path) in self._names

    def discard(self, path: str | os.PathLike[str]) -> bool:
        """Drop a pending write of `path` (its temporary is removed); whether there was one."""
        tmp = self._pending.pop(Path(path), None)
        if tmp is None:
            return False
        self._names.discard(_folded(path))
        with contextlib.suppress(OSError):
            tmp.unlink()
        return True

    def commit(self) -> None:
        """Sync every pending file's data, rename each into place, then sync the names. On a failing
        sync nothing is renamed and every pending temporary is removed (SegError naming a file)."""
        pending, self._pending = self._pending, {}
        self._names = set()
        if not pending:
            return
        renamed = 0
        try:
            sync_to_disk(list(pending.values()))
            for target, tmp in pending.items():
                os.replace(tmp, target)
                renamed += 1
            sync_to_disk([*{target.parent for target in pending}])  # the new names
        except OSError as exc:
            targets = list(pending)
            for tmp in list(pending.values())[renamed:]:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            where = targets[min(renamed, len(targets) - 1)]
            raise BatchSyncFailed(f"Cannot write {describe(where)}: {exc.strerror or exc}.", path=where) from exc


def _folded(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.fspath(path)).casefold()


def discard_write(path: str | os.PathLike[str]) -> None:
    """Remove a file this job wrote (pending in the active batch, or already in place)."""
    batch = _ACTIVE_BATCH.get()
    if batch is None or not batch.discard(path):
        Path(path).unlink(missing_ok=True)


# -- reading regular files only --------------------------------------------------------------------
def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(path: Path, what: str, mode: int) -> SegError:
    return SegError(f"{capitalised(what)} {describe(path)} is {_kind(mode)}, not a regular file; refused.", path=path)


def require_regular_file(path: str | os.PathLike[str], what: str = "file") -> os.stat_result:
    """The stat of `path` (links followed) if it is a regular file; otherwise SegError in one sentence:
    missing, unreadable, or a FIFO, device, socket or folder (which a reader would hang on or read
    without end)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SegError(f"{capitalised(what)} {describe(path)} does not exist.", path=path) from None
    except PermissionError:
        raise SegError(f"{capitalised(what)} {describe(path)} cannot be read (permission denied).", path=path) from None
    except OSError as exc:
        raise SegError(f"{capitalised(what)} {describe(path)} cannot be read ({exc.strerror or exc}).",
                       path=path) from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, what, info.st_mode)
    return info


def open_regular(path: str | os.PathLike[str], what: str = "file") -> BinaryIO:
    """Open `path` for reading in binary, only if it is a regular file (checked on the open file, so a
    file swapped for a FIFO after a check cannot block: the open itself does not wait for a writer)."""
    path = Path(path)
    require_regular_file(path, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SegError(f"{capitalised(what)} {describe(path)} cannot be read ({exc.strerror or exc}).",
                       path=path) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _refuse(path, what, mode)
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_regular_bytes(path: str | os.PathLike[str], what: str = "file") -> bytes:
    """All bytes of a regular file; SegError (one sentence) for anything else or a failing read."""
    with open_regular(path, what) as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise SegError(f"{capitalised(what)} {describe(path)} cannot be read ({exc.strerror or exc}).",
                           path=path) from None


# -- leftovers of killed processes -----------------------------------------------------------------
@dataclass(frozen=True)
class Swept:
    files: int = 0
    size: int = 0

    def sentence(self) -> str | None:
        """One sentence for the status bar or stderr, or None when nothing was removed."""
        if not self.files:
            return None
        return (f"Removed {self.files} temporary file(s) left by an interrupted write "
                f"({_human(self.size)} freed).")


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} bytes"  # pragma: no cover - the loop always returns


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal counts as alive)."""
    if pid <= 0:
        return True  # never a process of ours: treat as alive, so its files are left alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def sweep_stale_temporaries(folders: Iterable[str | os.PathLike[str]]) -> Swept:
    """Remove `atomic_open` temporaries whose process is gone from each folder (not below it).

    Only names of the form `.sgs-<pid>-<8>.tmp` that are regular files (not links) are touched, and
    only when no process has that pid: a live writer's file, or any other file, is never removed.
    """
    files, size = 0, 0
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = _TEMP_NAME.match(entry.name)
            if match is None or pid_alive(int(match.group(1))):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                os.unlink(entry.path)
            except OSError:
                continue
            files, size = files + 1, size + info.st_size
    return Swept(files, size)


def project_folders(project: object) -> list[Path]:
    """The folders of a project where segstudio writes (root, images (imports), labels, predictions,
    models, recovery): where a killed write can leave a temporary. Any object with those attributes will do."""
    root = Path(project.root)  # type: ignore[attr-defined]
    folders = [root, root / ".segstudio-recovery"]
    for name in ("images_dir", "labels_dir", "predictions_dir", "models_dir"):
        folder = getattr(project, name, None)
        if folder is not None:
            folders.append(Path(folder))
    return folders
