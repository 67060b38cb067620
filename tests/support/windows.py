"""The main window shown on a project for the window tests, optionally focused on its canvas (what the
keyboard tests need: a shortcut fires only in the active window)."""
from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtWidgets import QApplication

from app.window.main_window import MainWindow


def focus_canvas(qtbot, window: MainWindow) -> None:
    """Make `window` the active window with the keyboard on its canvas."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.canvas.setFocus()


def shown_window(qtbot, root, *, focus: bool = False) -> Iterator[MainWindow]:
    """Yield a shown MainWindow with `root` open (a fixture's body: `yield from shown_window(...)`);
    its thumbnail work is cancelled afterwards."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_path(root)
    if focus:
        focus_canvas(qtbot, window)
    yield window
    window.image_list.cancel_thumbnails()
