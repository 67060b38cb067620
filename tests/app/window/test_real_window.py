"""The real program in a real X server: `segstudio PROJECT` under Xvfb with Qt's xcb plugin.

Offscreen tests cannot catch a window that fails to start on a real display (missing xcb libraries,
a crash in the first paint, an exception during start-up). This test starts Xvfb itself, runs the
program as a user would (tests/support/window_driver.py runs `segstudio PROJECT` in its process)
and has the driver save a grab of the window after its first paint and quit. It skips only when
Xvfb is not installed; CI installs it (.ci/run).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from support import REPO  # noqa: E402
from support.xvfb import x_display  # noqa: F401 - the fixture

TIMEOUT_S = 25

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")]


def test_real_window_starts_and_paints(tmp_path, x_display):  # noqa: F811 - the fixture
    from PIL import Image

    from segmodels.demo import write_demo_project

    project = write_demo_project(tmp_path / "demo", count=4)
    shot = tmp_path / "window.png"
    env = dict(os.environ, DISPLAY=x_display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO))
    driver = REPO / "tests" / "support" / "window_driver.py"
    result = subprocess.run([sys.executable, str(driver), str(project.root), "--screenshot", str(shot)],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, f"the program failed:\n{result.stderr[-3000:]}"
    assert shot.is_file(), f"no screenshot was written:\n{result.stderr[-3000:]}"
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    # A painted window has text, frames, the image and the coloured mask: many distinct colours.
    distinct = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert distinct > 50, f"the screenshot looks blank ({distinct} colours)"
