"""One dialog for File > Open…: pick an image or a project file, or open a folder (a folder of images,
a project, a dataset root) with the dialog's "Open folder" button.

Why not the platform's dialog: on Linux neither GTK's nor KDE's file chooser, through Qt, can return
"a file or a folder" from one dialog (Qt's `FileMode.Directory` drops a selected file, `ExistingFile`
walks into a selected folder instead of returning it). Qt's own dialog can carry one more button, so a
folder is opened without a second menu entry: select it (or stand in it) and press "Open folder".
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QPushButton, QWidget

from segmodels.constants import IMAGE_SUFFIXES
from segmodels.labels.project import PROJECT_FILE

FILTERS = ";;".join((
    f"Images and projects ({' '.join('*' + s for s in IMAGE_SUFFIXES)} {PROJECT_FILE})",
    "All files (*)",
))


class OpenDialog(QFileDialog):
    def __init__(self, parent: QWidget | None, title: str, start: str = "") -> None:
        super().__init__(parent, title, start, FILTERS)
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)  # the extra button needs Qt's own dialog
        self.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.chosen: Path | None = None
        self._highlighted: Path | None = None
        self.currentChanged.connect(lambda path: setattr(self, "_highlighted", Path(path) if path else None))
        self.folder_button = QPushButton("Open &folder", self)
        self.folder_button.setToolTip("Open the selected folder, or the one shown, as a project (Alt+F)")
        self.folder_button.clicked.connect(self.open_folder)
        layout = self.layout()
        layout.addWidget(self.folder_button, layout.rowCount(), layout.columnCount() - 1)

    def open_folder(self) -> None:
        highlighted = self._highlighted
        self.chosen = highlighted if highlighted is not None and highlighted.is_dir() else Path(self.directory().path())
        QDialog.accept(self)  # QFileDialog.accept would insist on a file

    def chosen_path(self) -> Path | None:
        if self.chosen is not None:
            return self.chosen
        files = self.selectedFiles()
        return Path(files[0]) if files else None


def ask_open_path(parent: QWidget | None, title: str, start: str = "") -> Path | None:
    """The image, project file or folder the user picked, or None when they cancelled."""
    dialog = OpenDialog(parent, title, start)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.chosen_path()
