"""The Classes dock's edits that change label indices: delete a class, move it up or down, and load a
preset or a class list file. The logic is segmodels' (labels/class_edits.py, labels/class_rewrite.py),
the same as `segstudio classes`; this module asks the questions and runs the rewrite in a worker.

    Del        Delete the selected class…: asks what its pixels become (unlabelled or another class)
    Alt+Up     Move the selected class up one index
    Alt+Down   Move it down (or drag its row to another place in the table)
    Alt+L      Load classes: VOC, Cityscapes, ADE20K or a class list file

Keys are the dock's own (they fire while focus is in the dock, and not while a name is being typed:
the cell editor takes Del). Before a rewrite: unsaved edits are saved first or the edit is refused
(the rewrite covers label files on disk only), and the user confirms "This rewrites N label files and
cannot be undone with Ctrl+Z". A progress dialog with Cancel runs while files are rewritten; a cancel
before the files are swapped changes nothing. Afterwards the project is opened again from disk on the
same image, with hidden classes and the active class moved along with their indices.

Injectable for tests, like the dock's colour picker: `pick_target(parent, class_name, options)` returns
the index of the chosen option (0 = unlabelled, then the other classes) or None.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from app import messages
from app.jobs.pools import Pool, pool
from app.jobs.slot import JobSlot
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError

TargetPicker = Callable[[QWidget | None, str, list[str]], int | None]
UNLABELLED = f"Unlabelled ({IGNORE_INDEX})"
PRESET_NAMES = {"voc": "PASCAL VOC (21 classes)", "cityscapes": "Cityscapes (19 classes)",
                "ade20k": "ADE20K (150 classes + other)"}
CLASS_LIST_FILTERS = "Class lists (*.txt *.json);;All files (*)"


def dialog_pick_target(parent: QWidget | None, class_name: str, options: list[str]) -> int | None:
    """The real question: a list of what the deleted class's pixels may become."""
    text, ok = QInputDialog.getItem(parent, "Delete class", f"Pixels of '{class_name}' become:", options, 0, False)
    return options.index(text) if ok and text in options else None


class RowDrop(QObject):
    """Turns a row dropped elsewhere in the classes table into a class move: the table's own drop, which
    would shuffle cells, never runs. The move starts after the drag has ended (no question inside it)."""

    def __init__(self, table, move: Callable[[int, int], bool]) -> None:
        super().__init__(table)
        self.table, self.move = table, move
        table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        table.setDragDropOverwriteMode(False)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Drop:
            return False
        source = self.table.currentRow()
        target = self.table.indexAt(event.position().toPoint()).row()
        target = self.table.rowCount() - 1 if target < 0 else target
        event.ignore()
        if source >= 0 and target != source:
            QTimer.singleShot(0, lambda: self.move(source, target))
        return True


class ClassActions:
    """Buttons and keys for the dock (anything with `document`, `table` and a `widget()` whose layout
    takes one more row); see the module docstring."""

    def __init__(self, dock, pick_target: TargetPicker = dialog_pick_target) -> None:
        self.dock = dock
        self.document = dock.document
        self.pick_target = pick_target
        self.job = JobSlot(pool(Pool.CHECKS), dock)
        self.progress: QProgressDialog | None = None
        self.delete_action = self._action("Delete class…", "Del", self.delete_selected,
                                          "Delete the selected class; its pixels become unlabelled or another class")
        self.up_action = self._action("Move up", "Alt+Up", lambda: self.move_selected(-1),
                                      "Move the selected class up one index, or drag its row (labels rewritten)")
        self.down_action = self._action("Move down", "Alt+Down", lambda: self.move_selected(1),
                                        "Move the selected class down one index, or drag its row (labels rewritten)")
        self.load_action = self._action("Load classes", "Alt+L", self._show_load_menu,
                                        "Use the classes of VOC, Cityscapes, ADE20K or a class list file")
        self.load_menu = QMenu(dock)
        for preset, title in PRESET_NAMES.items():
            self.load_menu.addAction(title, lambda spec=preset: self.load_classes(spec))
        self.load_menu.addAction("Class list file…", self.load_class_file)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, action, text in (("delete", self.delete_action, "Delete…"), ("up", self.up_action, "▲"),
                                  ("down", self.down_action, "▼"), ("load", self.load_action, "Load…")):
            button = QPushButton(text)
            if len(text) == 1:  # an arrow: the style's 80-px minimum would widen the dock past small screens
                button.setMaximumWidth(3 * button.fontMetrics().horizontalAdvance("M"))
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
            row.addWidget(button)
            self.buttons[key] = button
        self.buttons["load"].setMenu(self.load_menu)
        row.addStretch(1)
        dock.widget().layout().addLayout(row)
        self.document.classes_changed.connect(self.update_buttons)
        self.document.view.active_class_changed.connect(self.update_buttons)
        self.job.busy_changed.connect(self.update_buttons)
        self.row_drop = RowDrop(dock.table, self.move_class_to)
        self.update_buttons()

    def _action(self, text: str, key: str, slot: Callable, tip: str) -> QAction:
        action = QAction(text, self.dock)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{tip} ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        self.dock.addAction(action)
        return action

    def update_buttons(self, *_args) -> None:
        table = self.document.class_table
        idle = not self.job.is_busy() and table is not None
        active = self.document.view.active_class
        states = dict.fromkeys(self.buttons, False)
        if idle:
            states = {"delete": len(table) > 1, "up": active > 0, "down": active < len(table) - 1, "load": True}
        for key, enabled in states.items():
            self.buttons[key].setEnabled(enabled)
        for action, key in ((self.delete_action, "delete"), (self.up_action, "up"), (self.down_action, "down"),
                            (self.load_action, "load")):
            action.setEnabled(states[key])

    # -- the edits -------------------------------------------------------------------------------------
    def delete_selected(self) -> bool:
        from segmodels.labels.class_edits import delete_class

        table, class_id = self.document.class_table, self.document.view.active_class
        if (table is None or self.job.is_busy() or not 0 <= class_id < len(table)
                or not self._no_unsaved_edits("Deleting a class")):
            return False
        others = [c for c in table if c.id != class_id]
        choice = self.pick_target(self.dock, table[class_id].name, [UNLABELLED, *(c.name for c in others)])
        if choice is None:
            return False
        into = IGNORE_INDEX if choice == 0 else others[choice - 1].id
        return self._run(lambda: delete_class(table, class_id, into))

    def move_selected(self, step: int) -> bool:
        return self.move_class_to(self.document.view.active_class, self.document.view.active_class + step)

    def move_class_to(self, class_id: int, to_index: int) -> bool:
        from segmodels.labels.class_edits import move_class

        table = self.document.class_table
        if (table is None or self.job.is_busy() or not 0 <= class_id < len(table) or not 0 <= to_index < len(table)
                or not self._no_unsaved_edits("Moving a class")):
            return False
        return self._run(lambda: move_class(table, class_id, to_index))

    def load_classes(self, spec: str | Path) -> bool:
        """Use a preset's or a class list file's classes; asks first when labelled pixels would change meaning."""
        from segmodels.labels.class_edits import table_changes
        from segmodels.labels.classes import load_class_table

        project = self.document.project
        if project is None:
            return False
        try:
            table = load_class_table(spec)
        except SegError as exc:
            messages.error(self.dock, str(exc))
            return False
        changes = table_changes(project.classes, table)
        if changes and project.labelled_images():
            question = (f"The project has labels, and with these {len(table)} classes " + "; ".join(changes)
                        + ". Pixel values stay as they are. Use these classes?")
            if messages.ask(self.dock, question, "Load classes") is not messages.Answer.YES:
                return False
        return self.document.set_classes(table)

    def load_class_file(self) -> bool:
        path = messages.choose_file(self.dock, "Load classes from a class list", CLASS_LIST_FILTERS)
        return path is not None and self.load_classes(path)

    def _show_load_menu(self) -> None:
        button = self.buttons["load"]
        self.load_menu.popup(button.mapToGlobal(button.rect().bottomLeft()))

    # -- running a rewrite -------------------------------------------------------------------------
    def _no_unsaved_edits(self, what: str) -> bool:
        """True when every label is on disk; offers to save unsaved edits first (the rewrite reads files)."""
        unsaved = self.document.unsaved_images()
        if not unsaved:
            return True
        question = (f"{what} rewrites the label files on disk, and {len(unsaved)} image(s) have unsaved edits. "
                    "Save them first?")
        if messages.ask(self.dock, question, "Unsaved edits") is not messages.Answer.YES:
            return False
        return self.document.save_all() and not self.document.unsaved_images()

    def _run(self, make_edit: Callable) -> bool:
        from segmodels.labels.class_rewrite import apply_rewrite, plan_rewrite, refuse_unsafe

        project = self.document.project
        if project is None or self.job.is_busy():
            return False
        try:
            edit = make_edit()
            plan = plan_rewrite(project, edit)
            refuse_unsafe(plan, recovery=False)  # the worker checks recovery files too (refuse_unsafe)
        except SegError as exc:
            messages.error(self.dock, str(exc))
            return False
        if messages.ask(self.dock, f"{plan.warning()} Continue?", "Change classes") is not messages.Answer.YES:
            return False
        total = 2 * len(plan.files) + 1
        self.progress = QProgressDialog("Rewriting label files…", "Cancel", 0, total, self.dock)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)  # no painting into a file being rewritten
        self.progress.setMinimumDuration(300)
        self.progress.canceled.connect(self.job.cancel)
        self.job.progress_changed.connect(self.progress.setValue)
        return self.job.start(lambda cancel: apply_rewrite(plan, cancel), winds_down=True,
                              progress_of=lambda step: (step.done, step.total),
                              on_returned=lambda saved: self._done(edit, saved),
                              on_errored=self._failed, on_finished=self._close_progress)

    def _done(self, edit, saved) -> None:
        if saved is None:
            self.document.status_message.emit("Cancelled; no label file was changed.")
            return
        view, image = self.document.view, self.document.image_path
        hidden = {int(edit.lut[c]) for c in view.hidden_classes if edit.lut[c] != IGNORE_INDEX}
        # Opening a project forgets locked ids (they name another table's classes); these follow their classes.
        locked = {int(edit.lut[c]) for c in self.document.protection.locked if edit.lut[c] != IGNORE_INDEX}
        active = int(edit.lut[view.active_class])
        self.document.open_project(saved, image)  # every label and prediction is read again from disk
        view.set_hidden_classes(hidden)
        self.document.protection.set_locked(locked)
        view.set_active_class(active if active != IGNORE_INDEX else 0)
        self.document.status_message.emit(f"{edit.summary} Label files rewritten.")

    def _failed(self, sentence: str) -> None:
        messages.error(self.dock, sentence)

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.job.progress_changed.disconnect(self.progress.setValue)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
