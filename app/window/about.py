"""Help > About: what is running and where it keeps its files, for a bug report or a support question.

The torch version is read from the installed package's metadata (importlib.metadata), so opening this
box never imports torch; the device is known only once the model code has loaded (the model dock
loads it on first use), before that the box says so.
"""
from __future__ import annotations

import importlib.metadata
import sys
from typing import Any

from PySide6.QtCore import QSettings, qVersion

from app import messages
from app.document.recovery_store import fallback_folder
from app.preferences import APPLICATION, ORGANIZATION
from segmodels import __version__
from segmodels.labels.project import RECOVERY_DIR

NOT_LOADED = "checked when a model runs (the model code loads on first use)"


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def device_line(window: Any) -> str:
    docks = getattr(window, "model_docks", None)
    info = docks.backend.info if docks is not None else None
    return info.device_reason if info is not None else NOT_LOADED


def about_text(window: Any) -> str:
    import PySide6

    project = window.document.project
    if project is not None:
        recovery = f"{project.root / RECOVERY_DIR} (else {fallback_folder(project)})"
    else:
        recovery = f"{RECOVERY_DIR}/ inside the open project"
    return "\n".join([
        f"segstudio {__version__}",
        "Make and fix semantic-segmentation ground truth.",
        "",
        f"Python {sys.version.split()[0]}, Qt {qVersion()}, PySide6 {PySide6.__version__}, "
        f"torch {package_version('torch')}, torchvision {package_version('torchvision')}",
        f"Device: {device_line(window)}",
        f"Settings: {QSettings(ORGANIZATION, APPLICATION).fileName()}",
        f"Recovery files: {recovery}",
    ])


def show_about(window: Any) -> None:
    messages.info(window, about_text(window), title="About segstudio")
