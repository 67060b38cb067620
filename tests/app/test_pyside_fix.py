"""The PySide6 None-leak guard keeps long GUI sessions alive."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_many_void_qt_calls_do_not_abort_the_interpreter():
    code = ("import sys\nfrom app.pyside_fix import protect_none\nprotect_none()\n"
            "from PySide6.QtCore import QRectF\nr = QRectF()\n"
            "for _ in range(50000): r.setWidth(2.0)\nprint('alive')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.strip() == "alive"
