"""The one exception type whose message is shown to a user as is.

Every expected failure (bad file, bad argument, missing labels, unreadable checkpoint) raises
`SegError` with one plain sentence that names the file and the problem. The CLI prints that sentence
without a traceback (unless --debug) and the GUI shows it in a message box; anything else is a bug.
Where a caller must act on *why* a file failed, the reason is a subclass, caught by type (never by
matching the sentence): `TruncatedFile` for a file that ends early or whose data is damaged,
`StemClash` for two images that would share one label file.
"""
from __future__ import annotations

from os import PathLike


class SegError(Exception):
    """A problem the user can act on, described in one sentence."""

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)


class StemClash(SegError):
    """Two image files share a stem (`frame.png`, `frame.jpg`), so they would share one label,
    prediction and recovery file: the project is refused rather than one image's label lost."""


class TruncatedFile(SegError):
    """A file cut short or damaged inside its data ("truncated or corrupt"), as opposed to one that is
    missing, empty, of the wrong kind or refused: the validator reports it as its own problem kind."""


class ChangedOnDisk(SegError):
    """A file segstudio was about to replace changed on disk since it was read (another window or
    program wrote it); the caller asks the user instead of overwriting (segmodels/stamps.py)."""


def describe(path: str | PathLike[str]) -> str:
    """How a file is named in messages: the path as given, quoted so spaces stay visible."""
    return f"'{path}'"


def capitalised(words: str) -> str:
    """`words` with a capital first letter and the rest as written: "COCO file" stays "COCO file"
    (str.capitalize() would lower the rest into "Coco file")."""
    return words[:1].upper() + words[1:]
