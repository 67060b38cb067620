"""The console script: commands go to the CLI; a mistyped command or a missing display is one
sentence, before Qt starts (Qt would abort with its own plugin messages)."""
from __future__ import annotations

import subprocess
import sys

from app.startup.launcher import display_problem, main
from support import REPO


def test_command_goes_to_the_cli(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_mistyped_command_is_one_sentence(capsys):
    assert main(["valdiate"]) == 2
    err = capsys.readouterr().err
    assert "'valdiate' is neither a command" in err and "validate" in err and err.count("\n") == 1


def test_no_display_is_detected_only_where_it_matters():
    assert display_problem({}, "linux") is not None
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None and display_problem({}, "win32") is None


def test_no_display_in_a_real_process_says_so_without_qt(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "app", str(tmp_path)], capture_output=True, text=True,
                            env=env, timeout=60, cwd=str(REPO))
    assert result.returncode == 2
    assert "no display" in result.stderr and "qt.qpa" not in result.stderr and "Traceback" not in result.stderr
