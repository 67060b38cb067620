"""The main window: assembles the document, canvas, tools, image list, toolbar, menus and status bar.

It owns no editing logic. Other docks plug in through `add_dock(dock, area)` and the public
`document`, `canvas`, `tools` and `image_list` attributes; `about_to_close` is a list of callables
run once closing is confirmed (docks cancel their workers there). Closing or opening another project
asks first when there are unsaved edits.

A window built with `defer_chrome=True` has only the document and the canvas until
`install_chrome()` adds the actions, menus, toolbar, status bar and image list: `segstudio` shows the
image first and builds the rest just after that frame (app/startup/gui.py), with the docks.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QToolBar, QWidget

from app import messages
from app.canvas.empty_note import EmptyProjectNote
from app.canvas.tools import Tool, ToolController
from app.canvas.view import Canvas
from app.document.conflicts import Choice, Conflict, explain
from app.document.guard import LabelGuard
from app.document.label_document import LabelDocument, ViewMode
from app.document.recovery import Autosave
from app.document.save_as import SHORTCUT as SAVE_AS_SHORTCUT
from app.window.drop import install_drop_target
from app.window.geometry import place_window
from app.window.preference_effects import apply_preferences
from app.window.style_actions import make_style_actions
from segmodels.atomic import project_folders, sweep_stale_temporaries
from segmodels.errors import SegError
from segmodels.labels.project import open_path

if TYPE_CHECKING:
    from app.docks.image_list import ImageListDock

APP_NAME = "segstudio"


class MainWindow(QMainWindow):
    """With `defer_chrome` the actions, menus, toolbar, status bar and image list wait for
    `install_chrome()`; otherwise the window is complete when the constructor returns."""

    preferences_changed = Signal(object)  # frozenset of preference keys applied (app/window/preference_effects.py)

    def __init__(self, parent: QWidget | None = None, *, defer_chrome: bool = False) -> None:
        super().__init__(parent)
        self.about_to_close: list[Callable[[], None]] = []
        self.document = LabelDocument(self)
        self.document.error.connect(lambda text: messages.error(self, text))  # the document opens no box itself
        self.document.warning.connect(lambda text: messages.warning(self, text))
        self.document.resolve_conflict = self._ask_conflict  # a file changed on disk under unsaved edits
        self.autosave = Autosave(self.document, self)  # recovery files for unsaved edits (app/document/recovery.py)
        self.label_guard = LabelGuard(self.document, self)  # keeps unshowable label files, names bad values
        self.tools = ToolController(self.document, self)
        self.canvas = Canvas(self.document, self.tools, self)
        self.setCentralWidget(self.canvas)
        self.empty_note = EmptyProjectNote(self.document, self.canvas)  # what to put in an empty folder
        self.image_list: ImageListDock | None = None
        apply_preferences(self)  # undo memory, autosave interval; Edit → Preferences… changes them
        install_drop_target(self)  # a file or folder dropped on the window opens
        self.actions_by_name: dict[str, QAction] = {}
        self._has_chrome = False
        self.document.project_changed.connect(self._update_title)
        self.document.image_changed.connect(self._update_title)
        self.document.dirty_changed.connect(lambda dirty: self.setWindowModified(dirty))
        self.document.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.document.loading_changed.connect(self._show_loading)
        self.document.image_changed.connect(self._on_image_changed)
        self.document.prediction_changed.connect(self._on_image_changed)
        self.document.view.view_mode_changed.connect(self._say_when_nothing_to_show)
        self._update_title()
        place_window(self)  # the last size and place, or a first-run size that fits the screen
        if not defer_chrome:
            self.install_chrome()

    def install_chrome(self) -> None:
        """Actions, menus, toolbar, status bar and the image list (once)."""
        if self._has_chrome:
            return
        from app.window.toolbar import make_tool_actions  # with the toolbar's widgets, after the image

        self.tool_actions = make_tool_actions(self.tools, self)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._has_chrome = True
        self._on_image_changed()  # the actions and labels catch up with what is already shown
        self.install_image_list()
        from app.window.annotation_wiring import install_annotation_actions

        install_annotation_actions(self)  # protect labels, cleanup, zoom and overlay keys (issue 16)

    # -- plug-in points ----------------------------------------------------------------------------
    def add_dock(self, dock: QDockWidget, area: Qt.DockWidgetArea) -> None:
        if not dock.objectName():
            dock.setObjectName(dock.windowTitle().lower().replace(" ", "_") or "dock")
        self.addDockWidget(area, dock)
        if hasattr(self, "_view_menu"):
            self._view_menu.addAction(dock.toggleViewAction())

    def install_image_list(self) -> ImageListDock:
        """The image list dock, docked on the left, with its Page Up / Page Down / N in the Go menu. It
        lists the open project at once, so it may come after `open_path`."""
        if self.image_list is None:
            from app.docks.image_list import ImageListDock

            self.image_list = ImageListDock(self.document, self)
            self.add_dock(self.image_list, Qt.DockWidgetArea.LeftDockWidgetArea)
            self._go_menu.addAction(self.image_list.previous_action)
            self._go_menu.addAction(self.image_list.next_action)
            self._go_menu.addAction(self.image_list.next_unreviewed_action)
            if self.document.project is not None:
                self.image_list.reload()
        return self.image_list

    def open_path(self, path: str | Path, image: Path | None = None) -> bool:
        """Open an image, folder, project or VOC root (showing `image` when it is one of its images);
        a bad path gives a message, not a traceback.
        The path is opened (read only) before the user is asked about unsaved edits: a refused one
        (broken JSON, two images with one stem) leaves the current project as it was, edits,
        recovery files and all."""
        try:
            project, found = open_path(path)
        except SegError as exc:
            messages.error(self, str(exc))
            return False
        if not self._confirm_discard():
            return False
        if image is None or Path(image) not in project.image_paths():
            image = found
        self.document.open_project(project, image)
        if project.origin:
            self.document.status_message.emit(project.origin)  # what was recognised, which classes and why
        # Temporaries left by a killed write go first, so the restore below sees only finished files.
        swept = sweep_stale_temporaries(project_folders(project)).sentence()
        if swept:
            self.document.status_message.emit(swept)
        if self.autosave.restore() and swept:  # edits left by a crash come back as unsaved
            self.document.status_message.emit(swept)  # said once more: the restore notice replaced it
        if self.document.class_table is not None and len(self.document.class_table) > 1:
            self.document.view.set_active_class(1)
        self.tools.set_tool(Tool.BRUSH)
        return True

    # -- building ----------------------------------------------------------------------------------
    def _action(self, name: str, text: str, slot: Callable, shortcut: QKeySequence | str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        doc = self.document
        open_action = self._action("open", "&Open…", self._ask_open, QKeySequence.StandardKey.Open)
        open_action.setToolTip(f"Open an image, folder, project or dataset ({open_action.shortcut().toString()})")
        self._action("save", "&Save label", doc.save, QKeySequence.StandardKey.Save)
        self._action("save_all", "Save &all", doc.save_all, "Ctrl+Alt+S")  # Ctrl+Shift+S: Save Labels As (Save As key)
        save_as = self._action("save_as", "Save La&bels As…", self._save_labels_as, SAVE_AS_SHORTCUT)
        save_as.setEnabled(doc.project is not None)
        doc.project_changed.connect(lambda: save_as.setEnabled(doc.project is not None))
        self._action("quit", "&Quit", self.close, "Ctrl+Q")
        undo = self._action("undo", "&Undo", doc.undo, "Ctrl+Z")
        redo = self._action("redo", "&Redo", doc.redo, "Ctrl+Shift+Z")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action, can_change, text_change, verb in (
                (undo, doc.undo_group.canUndoChanged, doc.undo_group.undoTextChanged, "Undo"),
                (redo, doc.undo_group.canRedoChanged, doc.undo_group.redoTextChanged, "Redo")):
            action.setEnabled(False)
            can_change.connect(action.setEnabled)
            text_change.connect(lambda text, a=action, v=verb: a.setText(f"&{v} {text}".strip()))
        self._action("accept_prediction", "&Accept prediction", doc.accept_prediction, "Ctrl+Return")
        from app.window.preferences_dialog import shortcut, show_preferences  # with the chrome, after the image

        self._action("preferences", "&Preferences…", lambda: show_preferences(doc, self), shortcut())
        self._action("fit", "&Fit to window", self.canvas.fit_to_window, "Ctrl+0")
        self._action("zoom_100", "Actual &pixels", lambda: self.canvas.set_zoom(1.0), "Ctrl+1")
        for mode, key in ((ViewMode.LABEL, "Ctrl+L"), (ViewMode.PREDICTION, "Ctrl+P"), (ViewMode.CONFIDENCE, "Ctrl+K")):
            self._action(f"view_{mode.value}", f"Show {mode.value}", lambda m=mode: doc.view.set_view_mode(m), key)

    def _build_menus(self) -> None:
        named = self.actions_by_name
        self.file_menu = file_menu = self.menuBar().addMenu("&File")
        for name in ("open", "save", "save_all", "save_as", None, "quit"):
            file_menu.addSeparator() if name is None else file_menu.addAction(named[name])
        edit_menu = self.menuBar().addMenu("&Edit")
        for name in ("undo", "redo", None, "accept_prediction", None, "preferences"):
            edit_menu.addSeparator() if name is None else edit_menu.addAction(named[name])
        tools_menu = self.menuBar().addMenu("&Tools")
        tools = self.tool_actions
        for action in (tools.brush, tools.eraser, tools.fill, tools.accept_region, tools.polygon, tools.grabcut,
                       tools.sam, tools.grow, tools.shrink):
            tools_menu.addAction(action)
        self.addActions(tools.class_keys)  # shortcuts only: ten menu entries would be noise
        self._view_menu: QMenu = self.menuBar().addMenu("&View")
        for name in ("fit", "zoom_100", "view_label", "view_prediction", "view_confidence"):
            self._view_menu.addAction(named[name])
        self.style_actions = make_style_actions(self.canvas.label_style, self)  # O, U
        self._view_menu.addSeparator()
        self._view_menu.addActions(list(self.style_actions))
        self._go_menu = self.menuBar().addMenu("&Go")  # the image list's Page Up / Page Down
        self._view_menu.addSeparator()  # the docks' show/hide entries follow (add_dock)

    def _build_toolbar(self) -> None:
        from app.window.toolbar import ActiveClassCombo, BrushSizeSlider, OpacitySlider, ViewModeCombo

        bar = QToolBar("Tools", self)
        bar.setObjectName("tools_toolbar")
        tools = self.tool_actions
        for action in (tools.brush, tools.eraser, tools.fill, tools.accept_region, tools.polygon, tools.grabcut,
                       tools.sam):
            bar.addAction(action)
        self.class_combo = ActiveClassCombo(self.document, bar)
        self.brush_slider = BrushSizeSlider(self.tools, bar)
        self.opacity_slider = OpacitySlider(self.document, bar)
        self.view_combo = ViewModeCombo(self.document, bar)
        for caption, widget in (("Class", self.class_combo), ("Size", self.brush_slider),
                                ("Opacity", self.opacity_slider), ("View", self.view_combo)):
            bar.addSeparator()
            bar.addWidget(QLabel(caption))
            bar.addWidget(widget)
        bar.addSeparator()
        bar.addAction(self.actions_by_name["accept_prediction"])
        bar.addAction(self.actions_by_name["fit"])
        from app.window.toolbar_texts import shorten_captions

        shorten_captions(bar)  # "Fill", "SAM", "Fit": the bar fits a laptop-sized window; menus keep full names
        from app.window.canvas_focus import keep_canvas_focus

        keep_canvas_focus(bar, self.canvas)  # Space, Enter, Esc reach the image again after a combo or slider
        self.addToolBar(bar)

    def _build_status_bar(self) -> None:
        from app.window.status_parts import build_status_bar

        build_status_bar(self)  # notice, pixel readout, confidence key, zoom (app/window/status_parts.py)

    def _update_title(self) -> None:
        project = self.document.project
        name = f" — {project.name}" if project is not None else ""
        image = f" — {self.document.image_path.name}" if self.document.image_path else ""
        self.setWindowTitle(f"{APP_NAME}{name}{image}[*]")  # "[*]" becomes "*" or nothing: no trailing space
        self.setWindowModified(self.document.is_dirty)

    def _on_image_changed(self) -> None:
        has_prediction = self.document.prediction is not None
        if self._has_chrome:
            self.actions_by_name["accept_prediction"].setEnabled(has_prediction)
        self._show_proposal_when_unreviewed(has_prediction)

    def _show_proposal_when_unreviewed(self, has_prediction: bool) -> None:
        """An image with a model proposal but no reviewed label opens in the prediction view, so the
        user sees the proposal at once (Accept prediction, or a stroke, brings them back to the label
        view); leaving it for a reviewed image restores the label view this switch chose."""
        doc = self.document
        unreviewed = (doc.project is not None and doc.image_path is not None and not doc.is_dirty
                      and not doc.project.label_path(doc.image_path).exists())
        if has_prediction and unreviewed and doc.view.view_mode is ViewMode.LABEL:
            self._auto_prediction_view = True
            doc.view.set_view_mode(ViewMode.PREDICTION)
        elif not (has_prediction and unreviewed) and getattr(self, "_auto_prediction_view", False):
            self._auto_prediction_view = False
            if doc.view.view_mode is ViewMode.PREDICTION:
                doc.view.set_view_mode(ViewMode.LABEL)

    def _show_loading(self, path: Path | None) -> None:
        """'Loading <name>…' while a large image decodes in a worker; cleared when it is done."""
        bar = self.statusBar()
        if path is not None:
            bar.showMessage(f"Loading {Path(path).name}…")
        elif bar.currentMessage().startswith("Loading "):
            bar.clearMessage()

    def _say_when_nothing_to_show(self, mode: ViewMode) -> None:
        if self.document.image_path is not None and self.canvas.overlay_array() is None:
            self.statusBar().showMessage(f"This image has no {mode.value} yet: run the model on it.", 8000)

    def _ask_open(self) -> None:
        from app.window.open_command import ask_open  # an image, folder, project or dataset root

        ask_open(self)

    def _save_labels_as(self) -> None:
        from app.window.save_as_command import save_labels_as

        save_labels_as(self)

    # -- closing -----------------------------------------------------------------------------------
    def _confirm_discard(self) -> bool:
        """Ask about unsaved edits; True when it is fine to drop the current project."""
        unsaved = self.document.unsaved_images()
        if not unsaved:
            return True
        answer = messages.ask(self, f"{len(unsaved)} image(s) have unsaved label edits. Save them?", cancel=True)
        if answer is messages.Answer.CANCEL:
            return False
        if answer is messages.Answer.YES:
            return self.document.save_all()
        self.autosave.discard(unsaved)  # only the edits the user was asked about: other recovery files stay
        return True

    def _ask_conflict(self, conflict: Conflict) -> Choice:
        index = messages.choose(self, explain(conflict), [choice.value for choice in conflict.choices])
        return Choice.CANCEL if index is None else conflict.choices[index]

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.document.cancel_loading()
        for hook in list(self.about_to_close):
            hook()
        if self.image_list is not None:
            self.image_list.cancel_thumbnails()
        self.autosave.release()  # the next window on this project may own the recovery folder
        event.accept()
