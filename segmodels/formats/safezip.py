"""Extracting a dataset zip someone sent: nothing lands outside the target folder, nothing unbounded.

Every member is checked before a byte is written, and each bad one is named in its own sentence:
an absolute path or a drive letter, a `..` step, a symbolic link, an encrypted or unknown-compression
member, a NUL in the name, a name given twice, and a member that claims to expand more than
`MAX_RATIO` times (a zip bomb). The declared total must stay under `MAX_TOTAL_BYTES` and fit on the
disk. While extracting, a member that yields more bytes than its header declared, or fails its CRC,
stops the extraction with a sentence naming it. Backslashes count as folder separators (zips made on
Windows by some tools use them). Files are written in place, not atomically: callers extract into a
fresh staging folder and rename it into place when extraction is complete (segmodels/formats/cvat_import.py).
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from segmodels.cancel import CancelFlag, never
from segmodels.errors import SegError, describe

MAX_TOTAL_BYTES = 32 << 30
MAX_MEMBERS = 1_000_000
#: A member larger than RATIO_FROM bytes may not expand more than MAX_RATIO times its stored size.
MAX_RATIO = 1000
RATIO_FROM = 1 << 20
#: Free space kept on the disk besides what the extraction needs.
DISK_MARGIN = 256 << 20
CHUNK = 1 << 20
#: How many bad members an error lists before counting the rest.
SHOWN = 20
_SUPPORTED = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_DRIVE = re.compile(r"^[A-Za-z]:")


def member_path(name: str) -> PurePosixPath:
    return PurePosixPath(name.replace("\\", "/"))


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why one member must not be extracted (a phrase), or None."""
    name = info.filename
    path = member_path(name)
    if "\0" in name:
        return "has a NUL character in its name"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path"
    if ".." in path.parts:
        return "steps out of the folder with '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in _SUPPORTED:
        return f"uses an unsupported compression method ({info.compress_type})"
    if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (f"would expand from {info.compress_size} to {info.file_size} bytes, more than {MAX_RATIO} times "
                "(a zip bomb)")
    return None


def zip_problems(archive: zipfile.ZipFile, zip_path: Path) -> list[str]:
    """One sentence per bad member, then any about the whole archive; [] when it is safe to extract."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        return [f"Zip {describe(zip_path)} holds {len(members)} members, more than {MAX_MEMBERS}; refused."]
    sentences = []
    seen: set[str] = set()
    for info in members:
        problem = member_problem(info)
        key = str(member_path(info.filename)).rstrip("/")
        if problem is None and key in seen:
            problem = "appears twice"
        seen.add(key)
        if problem is not None:
            sentences.append(f"Zip {describe(zip_path)}: member '{info.filename[:200]}' {problem}.")
    total = sum(info.file_size for info in members)
    if total > MAX_TOTAL_BYTES:
        sentences.append(f"Zip {describe(zip_path)} would expand to {total} bytes, more than the "
                         f"{MAX_TOTAL_BYTES >> 30} GiB limit.")
    return sentences


def _refuse(sentences: list[str]) -> SegError:
    shown = sentences[:SHOWN]
    more = len(sentences) - len(shown)
    return SegError("\n".join(shown + ([f"... and {more} more."] if more else []) + ["Nothing was extracted."]))


def extract_zip(zip_path: str | os.PathLike[str], dest: str | os.PathLike[str], cancel: CancelFlag = never) -> None:
    """Extract every member of `zip_path` under the existing folder `dest`, after checking them all;
    `cancel` is checked between members (SegError: the caller removes its staging folder)."""
    zip_path, dest = Path(zip_path), Path(dest)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SegError(f"{describe(zip_path)} is not a readable zip file ({exc}).", path=zip_path) from None
    with archive:
        problems = zip_problems(archive, zip_path)
        if problems:
            raise _refuse(problems)
        needed = sum(info.file_size for info in archive.infolist())
        free = shutil.disk_usage(dest).free
        if needed + DISK_MARGIN > free:
            raise SegError(f"Zip {describe(zip_path)} expands to {needed >> 20} MiB but only {free >> 20} MiB are "
                           f"free at {describe(dest)}; nothing was extracted.", path=zip_path)
        for info in archive.infolist():
            if cancel():
                raise SegError(f"Extracting {describe(zip_path)} was cancelled; nothing was imported.", path=zip_path)
            _extract_one(archive, info, dest, zip_path)


def _extract_one(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, zip_path: Path) -> None:
    relative = member_path(info.filename)
    target = dest.joinpath(*[part for part in relative.parts if part not in ("", ".")])
    if info.is_dir() or info.filename.endswith(("/", "\\")):
        target.mkdir(parents=True, exist_ok=True)
        return
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(target, "xb") as sink:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise SegError(f"Zip {describe(zip_path)}: member '{info.filename}' holds more bytes than its "
                                   f"header declares ({info.file_size}); extraction stopped.", path=zip_path)
                sink.write(chunk)
    except zipfile.BadZipFile as exc:
        raise SegError(f"Zip {describe(zip_path)}: member '{info.filename}' is damaged ({exc}); extraction stopped.",
                       path=zip_path) from None
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SegError(f"Zip {describe(zip_path)}: member '{info.filename}' could not be extracted ({reason}).",
                       path=zip_path) from None
