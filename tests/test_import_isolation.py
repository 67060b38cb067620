"""segmodels never imports Qt; the label/IO/validation layer never imports torch either."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import segmodels

LIGHT_MODULES = ["segmodels", "segmodels.labels.classes", "segmodels.labels.labelio", "segmodels.labels.imageio",
                 "segmodels.labels.project", "segmodels.atomic", "segmodels.cli"]
OPTIONAL_LIGHT = ["segmodels.validation.run", "segmodels.labels.blend", "segmodels.labels.export", "segmodels.labels.onehot",
                  "segmodels.labels.colorlabels"]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(' '.join(sorted(k for k in sys.modules if k.split('.')[0] in ('torch', 'PySide6', 'torchvision'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_every_segmodels_module_is_free_of_qt():
    names = [m.name for m in pkgutil.walk_packages(segmodels.__path__, "segmodels.")]
    assert len(names) > 5
    loaded = _loaded_after_import(names)
    assert not {m for m in loaded if m.startswith("PySide6")}


def test_label_io_and_validation_do_not_import_torch():
    import importlib.util

    present = [m for m in OPTIONAL_LIGHT if importlib.util.find_spec(m) is not None]
    loaded = _loaded_after_import(LIGHT_MODULES + present)
    assert not {m for m in loaded if m.startswith(("torch", "torchvision"))}


def test_cli_help_does_not_import_torch():
    code = ("import sys\nfrom segmodels.cli import build_parser\nbuild_parser()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
