"""Python warnings in the window: one sentence in a message box, like an error, never on a terminal
the user does not see (segmodels.cli._warnings does the same for the command line).

`route_warnings(parent)` replaces `warnings.showwarning` until `parent` is destroyed (or the returned
route's `uninstall()`), then puts the previous hook back. A warning may come from a worker thread (a
training run asking for pretrained weights offline): the hook only emits a signal, which Qt queues to
the GUI thread, where the box is shown. Each distinct sentence is shown once per session, so a warning
raised per batch does not bury the window in boxes; with --debug it is also logged in full.
"""
from __future__ import annotations

import logging
import warnings
from typing import Any

from PySide6.QtCore import QObject, Signal

from app import messages
from segmodels.cli._warnings import one_sentence

log = logging.getLogger(__name__)


class WarningRoute(QObject):
    said = Signal(str)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.shown: set[str] = set()
        self._previous = warnings.showwarning
        self.said.connect(self._show)  # queued when the warning came from another thread
        warnings.showwarning = self._hook
        parent.destroyed.connect(lambda *_: self.uninstall())

    def _hook(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
              file: Any = None, line: str | None = None) -> None:
        log.debug("%s:%s: %s: %s", filename, lineno, category.__name__, message)
        self.said.emit(one_sentence(message))

    def _show(self, sentence: str) -> None:
        if sentence not in self.shown:
            self.shown.add(sentence)
            messages.warning(self.parent(), sentence)

    def uninstall(self) -> None:
        if warnings.showwarning == self._hook:
            warnings.showwarning = self._previous


def route_warnings(parent: QObject) -> WarningRoute:
    return WarningRoute(parent)
