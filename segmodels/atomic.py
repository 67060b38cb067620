"""Atomic file writes: a temporary file in the target's folder, fsync, then os.replace.

A crash, a full disk or a failing encoder mid-write leaves the previous file intact and no partial
file behind, because the temporary file is removed on any error.
"""
from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from segmodels.errors import SegError, describe


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`; on success it replaces `path` in one step."""
    target = Path(path)
    if "w" not in mode:
        raise ValueError("atomic_open is for writing")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise SegError(f"Cannot write {describe(target)}: {exc.strerror or exc}.", path=target) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, mode) as handle:
            # mkstemp creates the file 0600; give it the mode a plain open() would (or the old file's).
            os.chmod(tmp, _target_mode(target))
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise SegError(f"Cannot write {describe(target)}: {exc.strerror or exc}.", path=target) from exc
        raise


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
