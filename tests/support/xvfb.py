"""Private Xvfb servers for the tests that start the real window (tests/app/window/test_real_window*.py).

`x_display` is a pytest fixture (import it into the test module): a 1280 x 800 screen. `xvfb(width,
height)` is the same as a context manager, for a test that needs another screen size. `-displayfd`
lets Xvfb pick a free display number and tell us; the server is stopped afterwards.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator

import pytest

SCREEN = (1280, 800)


@contextlib.contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """The DISPLAY of a new Xvfb server with one screen of width x height pixels."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                               "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def x_display():
    with xvfb(*SCREEN) as display:
        yield display
