"""The README starts with the two commands a new user types, and they name what the project declares."""
from __future__ import annotations

import re

import tomllib

from support import REPO

INSTALL = 'python3 -m pip install . && segstudio'
TESTS = 'python3 -m pip install ".[test]" && python3 -m pytest'


def test_readme_starts_with_install_and_launch_then_the_tests():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\w*\n(.*?)```", text, flags=re.S)
    assert [block.strip() for block in blocks[:2]] == [INSTALL, TESTS]
    between = text.split(INSTALL, 1)[1].split(TESTS, 1)[0]
    assert [line for line in between.splitlines() if line.strip() and not line.startswith("```")] == \
        ["Run the tests:"], "nothing may sit between the two first commands"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "segstudio" in project["scripts"] and "test" in project["optional-dependencies"]
    assert "pytest" in " ".join(project["optional-dependencies"]["test"])
