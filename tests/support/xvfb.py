"""A private Xvfb server for the tests that start the real window (tests/app/window/test_real_window*.py).

`x_display` is a pytest fixture: import it into the test module. `-displayfd` lets Xvfb pick a free
display number and tell us; the server is stopped after the test.
"""
from __future__ import annotations

import os
import subprocess

import pytest

SCREEN = (1280, 800)


@pytest.fixture
def x_display():
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                               "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)
