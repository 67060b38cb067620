"""Wiring the classes dock, the validation dock and the export dialog into the main window:
`install_label_docks(window)`, called once by `app.startup.gui.create_window`.

The classes dock goes on the left below the image list, the validation dock is tabbed with the model docks,
and File gets "Import…" (app/window/import_command.py), "Export…" (Ctrl+E) and "Validate project".
Closing the window cancels a running validation without waiting (the `about_to_close` hook; it only
reads files).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.docks.classes import ClassesDock
from app.docks.validation import Scope, ValidationDock


@dataclass
class LabelDocks:
    classes: ClassesDock
    validation: ValidationDock
    export_action: QAction
    validate_action: QAction


def _file_menu(window: Any) -> QMenu:
    from app.window.annotation_wiring import menu_named

    return menu_named(window, "File")


def open_export_dialog(window: Any):
    from app.docks.export_dialog import ExportDialog  # the exporter loads when first asked for

    dialog = ExportDialog(window.document, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one dialog per use; reject() waits for its worker
    dialog.setModal(True)
    dialog.show()
    return dialog


def install_label_docks(window: Any) -> LabelDocks:
    """Add the classes and validation docks and the export/validate actions to `window`."""
    classes = ClassesDock(window.document, window)
    validation = ValidationDock(window.document, window.image_list, window.canvas, window)
    window.add_dock(classes, Qt.DockWidgetArea.LeftDockWidgetArea)  # below the image list
    window.add_dock(validation, Qt.DockWidgetArea.RightDockWidgetArea)
    model_docks = getattr(window, "model_docks", None)
    if model_docks is not None:
        # One tab group on the right: model (front), training, validation. Only tabify: moving the
        # model dock out of its group would show the training dock, whose first showing imports
        # pyqtgraph (a second of start-up).
        window.tabifyDockWidget(model_docks.model, validation)
        model_docks.model.raise_()
    export_action = QAction("&Export…", window)
    export_action.setShortcut(QKeySequence("Ctrl+E"))
    export_action.triggered.connect(lambda _=False: open_export_dialog(window))
    validate_action = QAction("&Validate project", window)
    validate_action.triggered.connect(lambda _=False: (validation.show(), validation.raise_(),
                                                       validation.start(Scope.PROJECT)))
    menu = _file_menu(window)
    entries = menu.actions()
    quit_action = window.actions_by_name.get("quit")
    before = None  # above the separator that precedes Quit, else at the end
    if quit_action in entries:
        index = entries.index(quit_action)
        before = entries[index - 1] if index > 0 and entries[index - 1].isSeparator() else quit_action
    for action in (validate_action, export_action):
        if before is None:
            menu.addAction(action)
        else:
            menu.insertAction(before, action)
    window.actions_by_name.update(export=export_action, validate=validate_action)
    from app.window.import_command import install_import_action

    install_import_action(window, menu)
    window.about_to_close.append(validation.shutdown)
    docks = LabelDocks(classes, validation, export_action, validate_action)
    window.label_docks = docks
    return docks
