"""What a file was when segstudio read it, so a later write can tell whether someone else changed it.

Two windows, or a window and a script, may work on one project. Before replacing a label file or
`segstudio.json`, the writer compares the file on disk with the `FileStamp` taken when it was read
(docs/reliability.md, "Two writers on one project"). Size, mtime and inode decide quickly that a file
is unchanged; when they differ, the SHA-256 decides, so a mere `touch` or a copy of identical bytes
is not a conflict. Images are stamped without their hash (they can be hundreds of megabytes and are
only ever read): for them any change of size, mtime or inode counts.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from segmodels.atomic import read_regular_bytes
from segmodels.errors import SegError


@dataclass(frozen=True)
class FileStamp:
    size: int
    mtime_ns: int
    inode: int
    sha256: str | None = None   # None: stamped without content (images), or unreadable

    @classmethod
    def of(cls, path: str | os.PathLike[str], *, content: bool = True) -> FileStamp | None:
        """The stamp of `path` now, or None when it does not exist. A file that cannot be read (or is
        no regular file) gets a stamp without hash, which never matches a hashed one."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        except OSError:
            return cls(-1, -1, -1)
        digest = None
        if content:
            try:
                digest = hashlib.sha256(read_regular_bytes(path, "file")).hexdigest()
            except SegError:
                digest = None
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, digest)


def changed_since(path: str | os.PathLike[str], stamp: FileStamp | None) -> bool:
    """Whether `path` differs from what `stamp` recorded (None = it did not exist then)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return stamp is not None
    except OSError:
        return True
    if stamp is None:
        return True
    if (info.st_size, info.st_mtime_ns, info.st_ino) == (stamp.size, stamp.mtime_ns, stamp.inode):
        return False
    if stamp.sha256 is None or info.st_size != stamp.size:
        return True
    now = FileStamp.of(path)
    return now is None or now.sha256 != stamp.sha256
