"""Which process owns which recovery folder, so two windows on one project never touch each other's files.

A recovery folder holds `owner.lock`, a small JSON file naming the process that writes there (pid,
host and, on Linux, the process start time, so a pid reused by another program is not mistaken for
the owner). The first window on a project owns `.segstudio-recovery/` itself; a second live window
writes to `.segstudio-recovery/session-<pid>/` instead. A lock whose process is gone (a crash, kill -9)
is stale: the next window takes it over, with the edits in that folder. Locks of another host (a
shared drive) cannot be checked and are treated as live, so nothing of a running window is ever taken.
See docs/reliability.md, "Two writers on one project".
"""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from segmodels.atomic import atomic_write_text, read_regular_bytes
from segmodels.errors import SegError

LOCK_NAME = "owner.lock"
SESSION_PREFIX = "session-"


def _start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, Linux's /proc), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])  # field 22; the name in () may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def _this_process() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "start": _start_ticks(os.getpid())}


def _read(lock: Path) -> dict | None:
    try:
        owner = json.loads(read_regular_bytes(lock, "lock file").decode("utf-8"))
    except (SegError, OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) and isinstance(owner.get("pid"), int) else None


def _alive(owner: dict) -> bool:
    if owner.get("host") != socket.gethostname():
        return True  # cannot be checked from here: never taken
    pid = owner["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    except OSError:
        return False
    start = owner.get("start")
    now = _start_ticks(pid)
    return start is None or now is None or start == now


def _is_mine(owner: dict | None) -> bool:
    return owner is not None and owner.get("pid") == os.getpid() and owner.get("host") == socket.gethostname()


def claim(folder: Path) -> bool:
    """Make this process the owner of `folder` (created if needed): True if it is now ours, False if
    a live process owns it. A stale or unreadable lock is taken over. A folder that exists but
    cannot be written (a read-only project) is ours to read when no live process holds it."""
    if folder.is_symlink():
        return False
    lock = folder / LOCK_NAME
    mine = json.dumps(_this_process())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        owner = _read(lock)
        if _is_mine(owner):
            return True
        if owner is not None and _alive(owner):
            return False
        try:
            atomic_write_text(lock, mine)  # stale: taken over
        except (SegError, OSError):
            return folder.is_dir()
        return _is_mine(_read(lock))  # two windows taking over at once: the last writer owns it
    except OSError:
        return folder.is_dir() and not lock.exists()
    with os.fdopen(fd, "w") as handle:
        handle.write(mine)
    return True


def release(folder: Path) -> None:
    """Give up `folder` if this process owns it; an emptied session folder is removed."""
    lock = folder / LOCK_NAME
    if not _is_mine(_read(lock)):
        return
    try:
        lock.unlink()
        if folder.name.startswith(SESSION_PREFIX):
            folder.rmdir()  # only when empty: edits left in it stay for the next window
    except OSError:
        pass


def claim_folders(base: Path, *, writes: bool = True) -> tuple[Path, list[Path]]:
    """(the folder this process writes its recovery files to, every folder whose files it owns) under
    `base`: `base` itself when free, else a session folder of its own; plus the session folders
    of dead processes, taken over so their edits are restored once, by one window. With `writes`
    False (a second place to look, such as the user data folder of a writable project), nothing is
    created: `base` is owned only if it exists and is free."""
    if not writes and not base.is_dir():
        return base, []
    writes_to = base if claim(base) else base / f"{SESSION_PREFIX}{os.getpid()}"
    owned = [writes_to] if writes_to == base or (writes and claim(writes_to)) else []
    if base.is_dir() and not base.is_symlink():
        for folder in sorted(base.glob(f"{SESSION_PREFIX}*")):
            if folder != writes_to and folder.is_dir() and not folder.is_symlink() and claim(folder):
                owned.append(folder)
    return writes_to, owned
