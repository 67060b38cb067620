"""The real program restarted in a real X server (issue 17) with a 1600 x 1000 screen:

0. first run under QT_SCALE_FACTOR=2 (Qt sees an 800 x 500 screen): the window fits it, docks and all
   (a fixed 1400 x 900 became 2800 x 1800 physical pixels here and overflowed; the docks' minimum
   sizes alone need more than 500 px, so their contents scroll: app/window/geometry.py);
1. `segstudio PROJECT`, open an image, make the window 1500 x 900, quit;
2. `segstudio` with no PATH comes back on that project, that image and that geometry;
3. the same under QT_SCALE_FACTOR=2: the saved window no longer fits and is clamped onto the screen.

Each run is tests/support/window_driver.py in its own process, with this test's settings folder
(XDG_CONFIG_HOME from tests/conftest.py, inherited); the driver's grab, taken after the docks are
built, shows the window's final size in physical pixels. Skips only when Xvfb is not installed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from support import REPO
from support.xvfb import xvfb

TIMEOUT_S = 40
SCREEN = (1600, 1000)
GEOMETRY = (40, 30, 1500, 900)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")]


def run_driver(display: str, cwd, *args: str, scale: str | None = None) -> tuple[dict, tuple[int, int]]:
    """Run the program; returns its report (--report) and the size of its grab (--screenshot)."""
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO))
    env.pop("QT_SCALE_FACTOR", None)
    if scale:
        env["QT_SCALE_FACTOR"] = scale
    report, shot = cwd / "report.json", cwd / "shot.png"
    report.unlink(missing_ok=True)
    driver = REPO / "tests" / "support" / "window_driver.py"
    result = subprocess.run([sys.executable, str(driver), *args, "--report", str(report), "--screenshot", str(shot),
                             "--delay-ms", "1500"],
                            env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, f"the program failed:\n{result.stderr[-3000:]}"
    with Image.open(shot) as grab:
        return json.loads(report.read_text()), grab.size


def test_a_restart_restores_the_project_image_and_geometry_and_fits_the_screen(tmp_path):
    from segmodels.demo import write_demo_project

    project = write_demo_project(tmp_path / "demo", count=4)
    names = [path.name for path in project.image_paths()]
    with xvfb(*SCREEN) as display:
        _state, grab = run_driver(display, tmp_path, str(project.root), scale="2")
        assert grab[0] <= SCREEN[0] and grab[1] <= SCREEN[1]  # physical pixels, once the docks are built

        geometry = ",".join(map(str, GEOMETRY))
        run_driver(display, tmp_path, str(project.root), "--image", names[2], "--geometry", geometry)
        state, grab = run_driver(display, tmp_path)  # no PATH
        assert state["project"] == str(project.root) and state["image"] == names[2]  # not the demo, not image 0
        assert tuple(state["geometry"]) == GEOMETRY and grab == GEOMETRY[2:]

        state, grab = run_driver(display, tmp_path, scale="2")
        x, y, width, height = state["geometry"]
        logical = (SCREEN[0] // 2, SCREEN[1] // 2)
        assert 0 <= x and 0 <= y and x + width <= logical[0] and y + height <= logical[1]
        assert grab[0] <= SCREEN[0] and grab[1] <= SCREEN[1]  # still so once the docks are built
        assert state["image"] == names[2]
