"""Every message box, and the folder and file questions (Open…, Save Labels As, Import…), go through here,
so tests can replace one seam instead of many dialogs.

Tests monkeypatch `app.messages.backend` with a recorder; the default backend shows real QMessageBoxes
and QFileDialogs.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


class Answer(Enum):
    YES = "yes"
    NO = "no"
    CANCEL = "cancel"


class QtBackend:
    """Real message boxes. QMessageBox is imported on first use: its enums take PySide a few ms to
    build, and most sessions start without a message."""

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(parent, title, text)

    def warning(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(parent, title, text)

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(parent, title, text)

    def ask(self, parent: QWidget | None, title: str, text: str, *, cancel: bool = False) -> Answer:
        from PySide6.QtWidgets import QMessageBox

        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        if cancel:
            buttons |= QMessageBox.StandardButton.Cancel
        reply = QMessageBox.question(parent, title, text, buttons)
        if reply == QMessageBox.StandardButton.Yes:
            return Answer.YES
        if reply == QMessageBox.StandardButton.No:
            return Answer.NO
        return Answer.CANCEL

    def choose(self, parent: QWidget | None, title: str, text: str, options: list[str]) -> int | None:
        """A question with named buttons; the index of the one pressed, None when the box was closed."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        buttons = [box.addButton(option, QMessageBox.ButtonRole.ActionRole) for option in options]
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return buttons.index(clicked) if clicked in buttons else None

    def choose_folder(self, parent: QWidget | None, title: str) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(parent, title)
        return Path(folder) if folder else None

    def choose_file(self, parent: QWidget | None, title: str, filters: str, *, save: bool = False,
                    start: str = "") -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        ask_for = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        name, _filter = ask_for(parent, title, start, filters)
        return Path(name) if name else None

    def choose_path(self, parent: QWidget | None, title: str, *, start: str = "") -> Path | None:
        from app.window.open_dialog import ask_open_path  # a file or a folder from one dialog

        return ask_open_path(parent, title, start)


backend = QtBackend()


def error(parent: QWidget | None, text: str, title: str = "segstudio") -> None:
    backend.error(parent, title, text)


def warning(parent: QWidget | None, text: str, title: str = "segstudio") -> None:
    backend.warning(parent, title, text)


def info(parent: QWidget | None, text: str, title: str = "segstudio") -> None:
    backend.info(parent, title, text)


def ask(parent: QWidget | None, text: str, title: str = "segstudio", *, cancel: bool = False) -> Answer:
    return backend.ask(parent, title, text, cancel=cancel)


def choose(parent: QWidget | None, text: str, options: list[str], title: str = "segstudio") -> int | None:
    """Ask with one button per option (plus Cancel); the chosen index, or None for Cancel."""
    return backend.choose(parent, title, text, options)

def choose_folder(parent: QWidget | None, title: str) -> Path | None:
    """An existing folder the user picks, or None when they cancel."""
    return backend.choose_folder(parent, title)


def choose_file(parent: QWidget | None, title: str, filters: str, *, save: bool = False,
                start: str = "") -> Path | None:
    """A file to read (an existing one) or, with `save`, a file name to write; None when they cancel.
    `filters` as Qt writes them: "COCO JSON (*.json)"."""
    return backend.choose_file(parent, title, filters, save=save, start=start)


def choose_path(parent: QWidget | None, title: str, *, start: str = "") -> Path | None:
    """An existing image, project file or folder the user picks (File > Open…), or None."""
    return backend.choose_path(parent, title, start=start)
