"""The one exception type whose message is shown to a user as is.

Every expected failure (bad file, bad argument, missing labels, unreadable checkpoint) raises
`SegError` with one plain sentence that names the file and the problem. The CLI prints that sentence
without a traceback (unless --debug) and the GUI shows it in a message box; anything else is a bug.
"""
from __future__ import annotations

from os import PathLike


class SegError(Exception):
    """A problem the user can act on, described in one sentence."""

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)


def describe(path: str | PathLike[str]) -> str:
    """How a file is named in messages: the path as given, quoted so spaces stay visible."""
    return f"'{path}'"
