"""The product carries no test hooks: no module of `app` or `segmodels` reads a `SEGSTUDIO_TEST_*` or
`SEGSTUDIO_SCREENSHOT` variable. Tests drive the real program from outside (tests/support/window_driver.py)."""
from __future__ import annotations

from pathlib import Path

from support import REPO

HOOK_NAMES = ("SEGSTUDIO_TEST_", "SEGSTUDIO_SCREENSHOT")


def _product_modules() -> list[Path]:
    return sorted(p for package in ("app", "segmodels") for p in (REPO / package).rglob("*.py"))


def test_no_product_module_reads_a_test_variable():
    modules = _product_modules()
    assert len(modules) > 50  # the walk found the packages
    offenders = [f"{path.relative_to(REPO)}: {name}" for path in modules
                 for name in HOOK_NAMES if name in path.read_text(encoding="utf-8")]
    assert offenders == []
