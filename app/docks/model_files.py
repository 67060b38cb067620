"""The Model dock's file chooser: a segstudio checkpoint, or another program's PyTorch weights."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QWidget

FileChooser = Callable[[QWidget], "str | None"]  # tests replace the dialog with a function


def choose_checkpoint_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open checkpoint or weights", "",
                                          "Checkpoints and PyTorch weights (*.pt *.pth);;All files (*)")
    return path or None
