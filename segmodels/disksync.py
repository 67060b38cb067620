"""Flushing files and folders to disk, for `segmodels.atomic`'s durable batches (docs/formats.md,
"Durable batches"): one `syncfs(2)` per file system on Linux (every pending file of a batch in one
journal commit), else one fsync per path, as a single atomic write does. A large file's write-out is
started as soon as it is written (`start_writeback`), so the disk works while the job makes the next
file and the batch's sync waits for less."""
from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path


def sync_to_disk(paths: list[Path]) -> None:
    """Flush `paths` (files or folders) to disk: one syncfs per file system where Linux has it,
    else one fsync each (folders cannot be synced on Windows: skipped there)."""
    syncfs = _syncfs()
    if syncfs is not None:
        devices: dict[int, Path] = {}
        for path in paths:
            devices.setdefault(os.stat(path).st_dev, path)
        for path in devices.values():
            _sync_one(path, syncfs)
        return
    for path in paths:
        if path.is_dir() and sys.platform == "win32":
            continue
        _sync_one(path, None)


def _sync_one(path: Path, syncfs: object) -> None:
    flags = os.O_RDONLY if path.is_dir() or syncfs is not None else os.O_RDWR
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        if syncfs is None:
            os.fsync(fd)
        elif syncfs(fd) != 0:  # type: ignore[operator]
            import ctypes

            code = ctypes.get_errno() or errno.EIO
            raise OSError(code, os.strerror(code))
    finally:
        os.close(fd)


@functools.cache
def _syncfs() -> object | None:
    """libc's syncfs(fd) on Linux, else None."""
    return _linux_libc("syncfs", "c_int")


def _linux_libc(name: str, *argtypes: str) -> object | None:
    """libc's function `name` on Linux with its ctypes argument types (ctypes is imported on first
    use: it is not needed at start-up), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = [getattr(ctypes, argtype) for argtype in argtypes]
    return function


#: Files at least this large start their write-out at once (a label PNG is tens of kB; a one-hot stack MBs).
WRITEBACK_BYTES = 1 << 20


def start_writeback(fd: int) -> None:
    """Ask the kernel to start writing `fd`'s dirty pages to disk now, without waiting (Linux
    `sync_file_range(SYNC_FILE_RANGE_WRITE)`): it makes nothing durable by itself, the batch's sync
    still does; elsewhere, and on any error, nothing happens."""
    function = _sync_file_range()
    if function is not None:
        function(fd, 0, 0, 2)  # SYNC_FILE_RANGE_WRITE; a failure only means the sync does the work


@functools.cache
def _sync_file_range() -> object | None:
    return _linux_libc("sync_file_range", "c_int", "c_int64", "c_int64", "c_uint")
