"""segmodels never imports Qt; the label/IO/validation layer never imports torch either.

The torch-free set is found by walking the `segmodels.labels` and `segmodels.validation` packages, so a
module added there is checked without anyone remembering to list it; a few light modules outside
them (the package itself, atomic writes, the CLI parser, uncertainty ranking) are named here.
Each check runs in a fresh interpreter, since this test process has long imported both.
"""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import segmodels
import segmodels.labels
import segmodels.validation

TORCH_FREE_PACKAGES = (segmodels.labels, segmodels.validation)
TORCH_FREE_EXTRAS = ["segmodels", "segmodels.atomic", "segmodels.errors", "segmodels.constants", "segmodels.cli",
                     "segmodels.inference.uncertainty"]


def _walk(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(' '.join(sorted(k for k in sys.modules if k.split('.')[0] in ('torch', 'PySide6', 'torchvision'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_every_segmodels_module_is_free_of_qt():
    names = _walk(segmodels)
    assert len(names) > 5
    loaded = _loaded_after_import(names)
    assert not {m for m in loaded if m.startswith("PySide6")}


def test_the_walk_finds_the_label_and_validation_modules():
    names = [name for package in TORCH_FREE_PACKAGES for name in _walk(package)]
    for expected in ("segmodels.labels.imageio", "segmodels.labels.pyramid", "segmodels.labels.colortable",
                     "segmodels.validation.decode", "segmodels.validation.run"):
        assert expected in names


def test_label_io_and_validation_do_not_import_torch():
    names = [name for package in TORCH_FREE_PACKAGES for name in _walk(package)] + TORCH_FREE_EXTRAS
    loaded = _loaded_after_import(names)
    assert not {m for m in loaded if m.startswith(("torch", "torchvision"))}


def test_cli_help_does_not_import_torch():
    code = ("import sys\nfrom segmodels.cli import build_parser\nbuild_parser()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
