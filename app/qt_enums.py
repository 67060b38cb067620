"""Keeping PySide's `Qt` namespace out of the first frame.

The first time Python names `Qt` (`from PySide6.QtCore import Qt`), or a call makes PySide weigh an
overload that takes one of its values, PySide builds all 93 of the namespace's Python enums at once:
about 25 ms on a 2-core machine, a tenth of the time to the window's first frame. So the modules that
build that frame (canvas, toolbar, main window) import `QtCore` and look `QtCore.Qt` up only inside
event handlers, and the few settings they make before the frame go through the two helpers here.
Docks are built after the first frame and use `Qt` freely. `tests/app/window/test_main_window.py` checks
that the namespace is still unbuilt when the first frame is painted.
"""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence


def set_enum_property(obj: QObject, name: str, key: str) -> None:
    """Set the enum-typed Qt property `name` to the value whose key is `key`, as a `.ui` file sets
    it (for example "horizontalScrollBarPolicy", "ScrollBarAlwaysOff"). A wrong name or key raises."""
    if not obj.setProperty(name, key):
        raise ValueError(f"{type(obj).__name__} has no enum property {name!r} with a value {key!r}")


def set_shortcut(action: QAction, key: str | QKeySequence | QKeySequence.StandardKey) -> None:
    """`action.setShortcut(key)`. The plural `setShortcuts([...])` is called because `setShortcut`
    has an overload taking a `Qt.Key`, and ruling it out builds the namespace."""
    action.setShortcuts([key if isinstance(key, QKeySequence) else QKeySequence(key)])
