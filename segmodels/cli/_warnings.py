"""Python warnings as one plain sentence, like errors: `one_sentence(message)` and `reported_warnings(prefix)`.

Python's default `warnings.showwarning` prints the source file, the line number and the code line, which
means nothing to a user (`train --pretrained` offline printed torchvision's source path). Inside
`reported_warnings` each warning is printed once as `<prefix>: warning: <first line of the message>` on
stderr; with --debug Python's own format is kept. The GUI routes warnings through `one_sentence` too
(app/window/warnings_route.py).
"""
from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import Any, TextIO


def one_sentence(message: Warning | str) -> str:
    """The warning's text on one line (its first non-empty line), without file or code."""
    text = str(message).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first or type(message).__name__


@contextlib.contextmanager
def reported_warnings(prefix: str, *, debug: bool = False, stream: TextIO | None = None) -> Iterator[None]:
    """Within the block, print each distinct warning once as one sentence (Python's format under `debug`)."""
    if debug:
        yield
        return
    seen: set[str] = set()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        sentence = one_sentence(message)
        if sentence not in seen:  # a warning raised per batch would otherwise flood the terminal
            seen.add(sentence)
            print(f"{prefix}: warning: {sentence}", file=stream or sys.stderr)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous
