"""The open project and image as one Qt model: every view reads it, every edit goes through it.

`LabelDocument` owns the project, the current image (RGB), its label map (H x W uint8, 255 =
unlabelled; a missing label file starts all-255), the model's prediction and confidence (or None),
the class table, one QUndoStack per image (grouped in `undo_group`, whose active stack is the current
image's) and the in-memory label maps of images switched away from while unsaved (never dropped:
`unsaved_images()`, `save_all()`; see app/document/sessions.py). How the image is shown (opacity,
hidden classes, view mode, active class) lives in `document.view` (app/document/view_state.py).
Widgets never write the arrays; they call the methods below or paint through a `Stroke`. The
document never opens a message box: it emits `error(sentence)` / `warning(sentence)` and the main
window shows them (app.messages); a question to the user is asked by the caller before calling.

Public API (other docks plug in here):

    document = LabelDocument(parent)
    document.open_project(project, image=None) -> bool    # image None: the first image
    document.open_image(path) -> bool          # False (and error + image_failed) if unreadable
    document.request_image(path) -> bool       # the same, a large image in a worker (is_loading)
    document.save() -> bool / save_all() -> bool   # palette PNG, atomic; on failure error, edit kept
    document.set_classes(class_table) -> bool  # also writes segstudio.json
    document.reload_prediction()               # after a model wrote predictions/<stem>.png
    document.accept_prediction() -> bool       # prediction -> label, one undo step
    app.document.proposal: accept_into(document, stroke), accept_region(document, y, x)   # parts of it
    document.label_at(y, x) -> int | None; prediction_at(y, x); confidence_at(y, x)
    with document.edit("Fill") as stroke:      # one undo step (rolled back on an exception):
        stroke.paint(y0, x0, mask, value)      #   writes now, records bbox + mask + old values
    stroke = document.begin_stroke("Brush")    # the same for a mouse drag: paint, then finish()/cancel()
    document.apply_mask(y0, x0, mask, value, "Fill")   # one-dab edit = `with edit(): paint`
    document.unsaved_images() -> list[Path]; document.label_map_of(path) -> ndarray | None
    document.view: opacity, hidden_classes, view_mode, active_class and their setters and signals
    document.protection: protected labels, obeyed by every stroke (app/document/protection.py)

Read-only state: project, image_path, image (RGB array), label_map, prediction, confidence,
class_table, undo_group, undo_stack, is_dirty, is_loading, loading_path, image_pyramid.
Signals are listed on the class; `edit_committed(path)` feeds autosave. Undo steps of all open
images hold at most `undo_limit_bytes` (app/document/undo_budget.py). A save, or a return to an image,
whose files another program changed asks `resolve_conflict` (app/document/conflicts.py; the window
sets it to a dialog) instead of overwriting.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoGroup, QUndoStack

from app.document.conflicts import Resolver, safest
from app.document.levels import ReadyLevels
from app.document.loading import ImageLoader, LoadedView, is_large, load_view, read_side_file
from app.document.proposal import warn_unknown
from app.document.protection import ProtectionState
from app.document.save_as import read_only_warning
from app.document.saving import DocumentSaving, Outcome, replaced_image_choice
from app.document.sessions import ImageSessions
from app.document.undo import PaintCommand, Stroke
from app.document.undo_budget import UNDO_LIMIT_BYTES
from app.document.view_state import ViewMode, ViewState
from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable
from segmodels.labels.edits import Box
from segmodels.labels.project import Project

log = logging.getLogger(__name__)


class LabelDocument(DocumentSaving, QObject):
    project_changed = Signal()
    image_changed = Signal()                     # image, label_map, prediction, confidence replaced
    label_changed = Signal(int, int, int, int)   # y0, x0, y1, x1 (end exclusive) of the current label map
    prediction_changed = Signal()                # prediction and/or confidence replaced
    classes_changed = Signal()
    dirty_changed = Signal(bool)                 # the current image's unsaved state
    edit_committed = Signal(object)              # image Path: one stroke committed (autosave hook)
    image_saved = Signal(object)                 # image Path: its label file now matches memory
    image_failed = Signal(object, str)           # image Path, one sentence: could not be opened
    status_message = Signal(str)                 # short notes for the status bar (conversions...)
    loading_changed = Signal(object)             # image Path being loaded in a worker, None when done
    error = Signal(str)                          # one sentence: something failed (the window shows it)
    warning = Signal(str)                        # one sentence: it worked, but the user should know

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_group = QUndoGroup(self)
        self.view = ViewState(lambda: len(self.class_table) if self.class_table is not None else None, self)
        self._project: Project | None = None
        self._image_path: Path | None = None
        self._image: np.ndarray | None = None
        self._image_pyramid: list[np.ndarray] = []
        self._class_levels = ReadyLevels()  # see take_levels
        self._loader = ImageLoader(self)
        self._loader.busy_changed.connect(self.loading_changed)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._report_failure)
        self._label_map: np.ndarray | None = None
        self._prediction: np.ndarray | None = None
        self._confidence: np.ndarray | None = None
        self._sessions = ImageSessions(self.undo_group, self)
        #: Images of this project that could not be opened, with the sentence why (image_failed)
        self.failed_images: dict[Path, str] = {}
        self._stroke: Stroke | None = None
        self.protection = ProtectionState(self)  # protected labels: applied to every stroke below
        self.project_changed.connect(lambda: self.protection.set_locked(()))  # ids of another table
        self._writable = True
        self.undo_limit_bytes = UNDO_LIMIT_BYTES  # memory cap on undo steps across images (preferences)
        self.resolve_conflict: Resolver = safest  # files changed on disk: the window asks the user instead
        self.undo_group.cleanChanged.connect(lambda clean: self.dirty_changed.emit(not clean))
        self.label_changed.connect(lambda *_: self._class_levels.drop(self._label_map))

    # -- read-only state ---------------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        return self._project

    @property
    def class_table(self) -> ClassTable | None:
        return self._project.classes if self._project else None

    @property
    def image_path(self) -> Path | None:
        return self._image_path

    @property
    def image(self) -> np.ndarray | None:
        return self._image

    @property
    def image_pyramid(self) -> list[np.ndarray]:
        """Half-size levels of `image` made while loading (empty: the canvas makes them when needed)."""
        return self._image_pyramid

    def take_levels(self, array: np.ndarray) -> list[np.ndarray]:
        """Zoom-out levels of `array` (the label map or the prediction) made while a large image
        loaded, handed out once; empty when there are none or the label map was edited since."""
        return self._class_levels.take(array)

    @property
    def is_loading(self) -> bool:
        return self._loader.is_busy

    @property
    def loading_path(self) -> Path | None:
        return self._loader.path

    @property
    def label_map(self) -> np.ndarray | None:
        return self._label_map

    @property
    def prediction(self) -> np.ndarray | None:
        return self._prediction

    @property
    def confidence(self) -> np.ndarray | None:
        return self._confidence

    @property
    def undo_stack(self) -> QUndoStack | None:
        return self.undo_group.activeStack()

    @property
    def is_dirty(self) -> bool:
        stack = self.undo_stack
        return stack is not None and not stack.isClean()

    @property
    def is_writable(self) -> bool:
        return self._writable

    def label_at(self, y: int, x: int) -> int | None:
        return _value_at(self._label_map, y, x)

    def prediction_at(self, y: int, x: int) -> int | None:
        return _value_at(self._prediction, y, x)

    def confidence_at(self, y: int, x: int) -> float | None:
        value = _value_at(self._confidence, y, x)
        return None if value is None else value / 255.0

    def unsaved_images(self) -> list[Path]:
        return self._sessions.unsaved()

    def label_map_of(self, path: Path) -> np.ndarray | None:
        """The in-memory label map of a visited image (current or kept unsaved), else None."""
        session = self._sessions.get(path)
        return session.label_map if session else None

    # -- opening -----------------------------------------------------------------------------------
    def open_project(self, project: Project, image: Path | None = None) -> bool:
        """Show `project` (dropping any unsaved edits of the previous one: ask before calling) and
        its first image, or `image`. An unreadable image leaves the project open with no image shown."""
        self._finish_stroke()
        self.cancel_loading()
        self._sessions.clear()
        self.failed_images.clear()
        self._project = project
        self._writable = project.is_writable()
        self._clear_image()
        self.project_changed.emit()
        self.classes_changed.emit()
        if not self._writable:
            self.warning.emit(read_only_warning(project))  # names File → Save Labels As…
        images = project.image_paths()
        target = Path(image) if image is not None else (images[0] if images else None)
        if target is None or not self.request_image(target) or self.is_loading:
            self.image_changed.emit()  # views drop the previous project's image
        return True

    def open_image(self, path: Path) -> bool:
        """Switch to image `path` now (blocking while it decodes), keeping the previous image's
        unsaved edits in memory; supersedes a load in progress."""
        if self._project is None:
            raise RuntimeError("open_project() first")
        path = Path(path)
        self._finish_stroke()
        self.cancel_loading()
        try:
            view = load_view(self._project, path)
        except SegError as exc:
            self._report_failure(path, str(exc))
            return False
        self._install(view)
        return True

    def request_image(self, path: Path) -> bool:
        """Switch to image `path`: a small one at once (as `open_image`), a large one in a worker
        while the current image stays shown (not editable) until it is ready. False only when a
        small image could not be read; a large one reports failure through image_failed later."""
        if self._project is None:
            raise RuntimeError("open_project() first")
        path = Path(path)
        if path == self._loader.path:
            return True  # already on its way
        if path == self._image_path:
            self.cancel_loading()  # back to the image shown: nothing to load
            return True
        if not is_large(path):
            return self.open_image(path)
        self._finish_stroke()
        self._loader.start(self._project, path)
        return True

    def cancel_loading(self) -> None:
        """Forget a load in progress (its result is dropped when it arrives)."""
        self._loader.cancel()

    def _on_loaded(self, view: LoadedView) -> None:
        self._finish_stroke()
        self._install(view)

    def _report_failure(self, path: Path, sentence: str) -> None:
        self.failed_images[path] = sentence
        self.image_failed.emit(path, sentence)
        self.error.emit(sentence)

    def _install(self, view: LoadedView) -> None:
        """Show what `load_view` read, in one step on the GUI thread."""
        path = view.path
        kept = self._sessions.get(path)
        if kept is not None and path != self._image_path:  # unsaved edits made on an image that may be replaced
            result = replaced_image_choice(self._project, path, kept, view.image_stamp, view.rgb.shape[:2],
                                           self.resolve_conflict)
            if result.outcome is Outcome.FAILED:
                return self._report_failure(path, result.sentence)
            if result.outcome is Outcome.RELOAD:
                self._sessions.forget(path)
                self.status_message.emit(result.sentence)
        self._sessions.leave(self._image_path)  # kept only if it holds unsaved edits
        self.failed_images.pop(path, None)  # readable again (the file was replaced)
        self._image_path, self._image, self._image_pyramid = path, view.rgb, view.pyramid
        session, new = self._sessions.open(path, view.rgb.shape[:2], view.label_map)
        if new:
            session.image_stamp, session.label_stamp = view.image_stamp, view.label_stamp
            # (a kept session's unsaved edits won over the file: its problems do not apply)
            for sentence in view.label_errors:
                self.error.emit(sentence)
        self._label_map = session.label_map
        self._class_levels.replace(view.class_levels)  # by identity: not for a map unsaved edits replaced
        self.undo_group.setActiveStack(session.undo_stack)
        self._prediction, self._confidence = view.prediction, view.confidence
        for note in view.notes:
            self.status_message.emit(note)
        if view.conversions:
            self.status_message.emit(f"{path.name}: " + ", ".join(view.conversions) + ".")
        self.image_changed.emit()
        self.dirty_changed.emit(self.is_dirty)

    def _clear_image(self) -> None:
        self._image_path = self._image = self._label_map = None
        self._image_pyramid = []
        self._class_levels.replace([])
        self._prediction = self._confidence = None
        self.undo_group.setActiveStack(None)

    def reload_prediction(self) -> None:
        """Read the current image's prediction and confidence files again (a model just wrote them)."""
        path, shape, notes = self._image_path, self._image.shape[:2] if self._image is not None else None, []
        if path is None:
            return
        self._prediction = read_side_file(self._project.prediction_path(path), shape, notes)
        self._confidence = read_side_file(self._project.confidence_path(path), shape, notes)
        for note in notes:
            self.status_message.emit(note)
        self.prediction_changed.emit()

    # -- editing -----------------------------------------------------------------------------------
    def edit(self, text: str, *, protected: bool = True) -> Stroke:
        """One grouped edit as one undo step: `with document.edit("Fill") as stroke: stroke.paint(...)`
        commits on exit and rolls back (no undo step) when the block raises. The stroke is closed
        (paints nothing) when no image is open or another one is loading. A stroke in progress is
        committed first. `protected=False` ignores protected labels (restoring recovered edits)."""
        stroke = self.begin_stroke(text, protected=protected)
        return stroke if stroke is not None else Stroke(text, None, self._notify_label, self._commit_stroke)

    def begin_stroke(self, text: str, *, protected: bool = True) -> Stroke | None:
        """Start one undo step (a mouse drag); None when no image is open or another one is loading."""
        if self._label_map is None or self._loader.is_busy:
            return None
        self._finish_stroke()
        writable = self.protection.rule.writable if protected and self.protection.rule.active else None
        self._stroke = Stroke(text, self._label_map, self._notify_label, self._commit_stroke, writable)
        return self._stroke

    def apply_mask(self, y0: int, x0: int, mask: np.ndarray, value: np.ndarray | int, text: str, *,
                   protected: bool = True) -> bool:
        """A one-dab edit (flood fill, accept prediction) as one undo step; False if nothing changed."""
        with self.edit(text, protected=protected) as stroke:
            return stroke.paint(y0, x0, mask, value) is not None

    def undo(self) -> None:
        """Undo the last step of the current image (a stroke still being drawn is committed first,
        so undo never interleaves with a half-recorded stroke)."""
        self._finish_stroke()
        self.undo_group.undo()

    def redo(self) -> None:
        self._finish_stroke()
        self.undo_group.redo()

    def accept_prediction(self) -> bool:
        """Copy the prediction into the label map as one undo step."""
        if self._prediction is None or self._label_map is None:
            return False
        mask = np.ones(self._prediction.shape, dtype=bool)
        accepted = self.apply_mask(0, 0, mask, self._prediction, "Accept prediction")
        if accepted:
            self.view.set_view_mode(ViewMode.LABEL)  # the proposal is now the label: show the label
            warn_unknown(self)  # a model made for other classes: said now, not first when saving
        return accepted

    def _finish_stroke(self) -> None:
        if self._stroke is not None:
            self._stroke.finish()

    def _commit_stroke(self, stroke: Stroke) -> None:
        """Called by a stroke when it finishes (committed) or is cancelled (no atoms left)."""
        if self._stroke is stroke:
            self._stroke = None
        if not stroke.atoms or stroke.label_map is None or stroke.label_map is not self._label_map:
            return
        self.undo_stack.push(PaintCommand(stroke.text, stroke.label_map, stroke.atoms, self._notify_label))
        self._trim_undo()
        self.edit_committed.emit(self._image_path)

    def set_undo_limit(self, limit_bytes: int) -> None:
        """A new cap on undo memory (Preferences): a lower one drops the oldest steps now, not at the
        next stroke, so the memory is freed when the user asks for it."""
        self.undo_limit_bytes = limit_bytes
        self._trim_undo()

    def _trim_undo(self) -> None:
        dropped = self._sessions.trim_undo(self.undo_limit_bytes)
        if dropped:
            self.status_message.emit(dropped)

    def _notify_label(self, label_map: np.ndarray, box: Box) -> None:
        if label_map is self._label_map:
            self.label_changed.emit(*box)


def _value_at(array: np.ndarray | None, y: int, x: int) -> int | None:
    if array is None or not (0 <= y < array.shape[0] and 0 <= x < array.shape[1]):
        return None
    return int(array[y, x])
