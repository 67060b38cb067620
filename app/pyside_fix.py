"""Work around a reference-count bug of PySide6 6.12.0 on Python 3.11: every call of a Qt method
that returns void drops one reference to `None` (checked on this machine: 1000 `QRectF.setWidth`
calls lower `sys.getrefcount(None)` by 1000). None starts with a few thousand references, so after
a few seconds of painting the interpreter aborts with "Fatal Python error: none_dealloc".

Python 3.12+ makes None immortal (PEP 683), which hides the bug. On 3.11 we do the same by hand:
`protect_none()` raises None's reference count by 2**40 once, which no session can use up. It is
a no-op on 3.12+ and when the installed PySide6 does not have the bug.
"""
from __future__ import annotations

import ctypes
import sys

#: Head room added to None's reference count: at a million void calls a second, 12 days.
NONE_HEADROOM = 1 << 40
_protected = False


def pyside_drops_none_references() -> bool:
    """Measure the bug directly: does a void Qt call lower None's reference count?"""
    from PySide6.QtCore import QRectF

    rect = QRectF(0, 0, 1, 1)
    before = sys.getrefcount(None)
    for _ in range(20):
        rect.setWidth(2.0)
    return sys.getrefcount(None) < before - 10


def protect_none() -> bool:
    """Make None effectively immortal on Python < 3.12 when PySide6 leaks it; True if applied."""
    global _protected
    if _protected or sys.version_info >= (3, 12) or not pyside_drops_none_references():
        return False
    # ob_refcnt is the first Py_ssize_t of every object in CPython 3.11.
    ctypes.c_ssize_t.from_address(id(None)).value += NONE_HEADROOM
    _protected = True
    return True
