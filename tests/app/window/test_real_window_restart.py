"""The real program restarted in a real X server (issue 17): `segstudio PROJECT`, open an image, move
and size the window, quit; then `segstudio` with no PATH comes back on that project, that image and
that geometry. Started a third time with QT_SCALE_FACTOR=2 (the saved window is now twice too big for
the screen), the window is clamped onto the screen instead of overflowing it.

Each run is tests/support/window_driver.py in its own process, with this test's settings folder
(XDG_CONFIG_HOME from tests/conftest.py, inherited). Skips only when Xvfb is not installed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from support import REPO
from support.xvfb import SCREEN, x_display  # noqa: F401 - the fixture

TIMEOUT_S = 40
GEOMETRY = (40, 30, 900, 600)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")]


def run_driver(display: str, cwd, *args: str, scale: str | None = None) -> None:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO))
    env.pop("QT_SCALE_FACTOR", None)
    if scale:
        env["QT_SCALE_FACTOR"] = scale
    driver = REPO / "tests" / "support" / "window_driver.py"
    result = subprocess.run([sys.executable, str(driver), *args], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert result.returncode == 0, f"the program failed:\n{result.stderr[-3000:]}"


def test_a_restart_restores_the_project_image_and_geometry(tmp_path, x_display):  # noqa: F811 - the fixture
    from segmodels.demo import write_demo_project

    project = write_demo_project(tmp_path / "demo", count=4)
    names = [path.name for path in project.image_paths()]
    run_driver(x_display, tmp_path, str(project.root), "--image", names[2],
               "--geometry", ",".join(map(str, GEOMETRY)), "--screenshot", str(tmp_path / "first.png"))

    report = tmp_path / "second.json"
    run_driver(x_display, tmp_path, "--report", str(report), "--screenshot", str(tmp_path / "second.png"))
    state = json.loads(report.read_text())
    assert state["project"] == str(project.root) and state["image"] == names[2]  # not the demo, not image 0
    assert tuple(state["geometry"]) == GEOMETRY

    report = tmp_path / "scaled.json"
    run_driver(x_display, tmp_path, "--report", str(report), "--screenshot", str(tmp_path / "scaled.png"), scale="2")
    x, y, width, height = json.loads(report.read_text())["geometry"]
    logical = (SCREEN[0] // 2, SCREEN[1] // 2)  # what the screen is in the window's (scaled) pixels
    assert 0 <= x and 0 <= y and x + width <= logical[0] and y + height <= logical[1]
    assert (width, height) != GEOMETRY[2:]
