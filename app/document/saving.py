"""Saving one image's label, and showing an image again, when its files may have changed on disk.

`save_session` writes a session's label map unless the image or the label file changed since they
were read; then the resolver is asked (app/document/conflicts.py) and the answer carried out.
`replaced_image_choice` is the same question when the user comes back to an image with unsaved
edits and the image file was replaced meanwhile; `write_project` for segstudio.json. They are Qt-free;
`DocumentSaving` (LabelDocument's save methods) applies the outcome, and refuses a label map that is no
reviewed label (no labelled pixel, or class indices the project lacks: segmodels.labels.review).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from app.document.conflicts import (
    Choice,
    Conflict,
    Resolver,
    image_conflict,
    label_conflict,
    project_file_conflict,
    save_label_copy,
    save_project_copy,
)
from app.document.sessions import ImageSession
from segmodels.errors import ChangedOnDisk, SegError, describe
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import image_size
from segmodels.labels.project import Project, ProjectKind
from segmodels.labels.review import has_labelled_pixel, save_refusal
from segmodels.stamps import FileStamp, changed_since


class Outcome(enum.Enum):
    SAVED = "saved"            # the label file now holds the session's label map
    RELOAD = "reload"          # the file on disk wins: drop the session and show the files again
    CANCELLED = "cancelled"    # nothing written; the edits stay unsaved in memory
    FAILED = "failed"          # nothing written (sentence says why); the edits stay unsaved in memory


@dataclass(frozen=True)
class SaveResult:
    outcome: Outcome
    sentence: str | None = None      # FAILED: the error; otherwise a note for the status bar
    reload_image: bool = False       # SAVED over a replaced image of the same size: show its new pixels


def save_session(project: Project, image: Path, session: ImageSession, resolve: Resolver) -> SaveResult:
    reload_image = False
    if changed_since(image, session.image_stamp):
        now = _shape_or_none(image)
        conflict = image_conflict(image, session.label_map.shape, now)
        choice = _answer(resolve, conflict)
        if choice is not Choice.KEEP_MINE:
            return _divert(choice, project, image, session)
        session.image_stamp = FileStamp.of(image, content=False)
        reload_image = True
    label_file = project.label_path(image)
    if changed_since(label_file, session.label_stamp):
        choice = _answer(resolve, label_conflict(label_file))
        if choice is not Choice.KEEP_MINE:
            return _divert(choice, project, image, session)
    try:
        project.write_label(image, session.label_map)
    except (SegError, OSError) as exc:
        return SaveResult(Outcome.FAILED, f"Could not save the label of {describe(image)}: {exc} "
                                          "The edit is kept in memory.")
    session.label_stamp = FileStamp.of(label_file)
    return SaveResult(Outcome.SAVED, reload_image=reload_image)


def replaced_image_choice(project: Project, image: Path, session: ImageSession,
                          now_stamp: FileStamp | None, now_shape: tuple[int, int],
                          resolve: Resolver) -> SaveResult:
    """Coming back to `image`, whose unsaved session was made for another version of the file:
    SAVED means keep the session (same size, the user kept the edits), RELOAD means start from the
    files on disk (edits dropped or copied to conflicts/), FAILED that the copy could not be written."""
    if now_stamp == session.image_stamp:
        return SaveResult(Outcome.SAVED)
    choice = _answer(resolve, image_conflict(image, session.label_map.shape, now_shape))
    if choice is Choice.KEEP_MINE:
        session.image_stamp = now_stamp
        return SaveResult(Outcome.SAVED)
    # Nobody may lose edits by closing the dialog: a non-answer keeps a copy.
    return _divert(Choice.SAVE_COPY if choice is Choice.CANCEL else choice, project, image, session)


@dataclass(frozen=True)
class ProjectWrite:
    project: Project             # the project to use now (as saved, or as it is on disk)
    outcome: Outcome             # SAVED, RELOAD (theirs is used), CANCELLED or FAILED
    sentence: str | None = None


def write_project(project: Project, resolve: Resolver) -> ProjectWrite:
    """Write segstudio.json for `project`; when another program changed the file since it was read,
    ask (keep mine / take theirs / save mine as a copy) instead of overwriting it."""
    try:
        try:
            return ProjectWrite(project.save(), Outcome.SAVED)
        except ChangedOnDisk:
            choice = _answer(resolve, project_file_conflict(project.config_path))
            if choice is Choice.KEEP_MINE:
                return ProjectWrite(project.save(force=True), Outcome.SAVED)
            if choice is Choice.CANCEL:
                return ProjectWrite(project, Outcome.CANCELLED)
            note = None
            if choice is Choice.SAVE_COPY:
                note = f"Your classes are saved as {describe(save_project_copy(project))}; using the version on disk."
            return ProjectWrite(Project.open(project.root), Outcome.RELOAD, note)
    except (SegError, OSError) as exc:
        return ProjectWrite(project, Outcome.FAILED, str(exc))


def _answer(resolve: Resolver, conflict: Conflict) -> Choice:
    choice = resolve(conflict)
    return choice if choice in conflict.choices else Choice.CANCEL


def _divert(choice: Choice, project: Project, image: Path, session: ImageSession) -> SaveResult:
    if choice is Choice.TAKE_THEIRS:
        return SaveResult(Outcome.RELOAD, f"Dropped your edits of {image.name}; showing the version on disk.")
    if choice is not Choice.SAVE_COPY:
        return SaveResult(Outcome.CANCELLED)
    try:
        copy = save_label_copy(project, image, session.label_map)
    except (SegError, OSError) as exc:
        return SaveResult(Outcome.FAILED, f"Could not keep a copy of your edits of {describe(image)}: {exc} "
                                          "The edit is kept in memory.")
    return SaveResult(Outcome.RELOAD, f"Your edits of {image.name} are saved as {describe(copy)}; "
                                      "showing the version on disk.")


def _shape_or_none(image: Path) -> tuple[int, int] | None:
    try:
        return image_size(image)
    except SegError:
        return None


class DocumentSaving:
    """LabelDocument's saving methods (a mixin: they use its project, sessions and signals), kept
    here with the checks they run so that label_document.py stays about showing and editing."""

    def save(self) -> bool:
        """Write the current image's label map (palette PNG, atomic). On failure the edit stays."""
        self._finish_stroke()
        if self._image_path is None:
            return False
        return self._save_image(self._image_path)

    def save_all(self) -> bool:
        self._finish_stroke()
        return all([self._save_image(path) for path in list(self.unsaved_images())])

    def _save_image(self, path: Path) -> bool:
        session = self._sessions.get(path)
        # "Reviewed" means a person looked and labelled something the project knows (docs/models-and-labels.md
        # #reviewed-labels): an all-255 map or unknown class indices would be trained on as ground truth.
        refusal = save_refusal(session.label_map, self._project.classes, path)
        if refusal is not None:
            (self.error if has_labelled_pixel(session.label_map) else self.warning).emit(refusal)
            return False
        if self._project.kind is ProjectKind.FOLDER:  # a plain folder becomes a project on first save...
            try:
                self._project.refuse_stem_clash(path)  # ... but not on a save that write_label refuses
            except SegError as exc:
                self.error.emit(f"Could not save the label of {describe(path)}: {exc} The edit is kept in memory.")
                return False
            if not self._write_project(self._project):
                return False
        result = save_session(self._project, path, session, self.resolve_conflict)
        if result.outcome is Outcome.FAILED:
            self.error.emit(result.sentence)
        if result.outcome is not Outcome.SAVED:
            if result.outcome is Outcome.RELOAD:
                self._reload(path, result.sentence)
            return result.outcome is Outcome.RELOAD
        self._sessions.mark_saved(path)
        self.image_saved.emit(path)
        self.status_message.emit(f"Saved {_shown_path(self._project, self._project.label_path(path))}")
        if path != self._image_path:
            self._sessions.leave(path)  # saved in the background: nothing left to keep
        elif result.reload_image:
            self._reload(path, None)  # the image was replaced by one of the same size: show its pixels
        return True

    def _reload(self, path: Path, note: str | None) -> None:
        """Forget `path`'s session; the current image is read again from the files on disk."""
        self._sessions.forget(path)
        self.image_saved.emit(path)  # no unsaved edits of it any more (autosave drops its recovery file)
        if note:
            self.status_message.emit(note)
        if path == self._image_path:
            self._image_path = None  # not "left": its session is gone
            self.open_image(path)

    def mark_saved_elsewhere(self, path: Path) -> None:  # Save Labels As: app/document/save_as.py
        self._sessions.saved_elsewhere(path)

    def set_classes(self, class_table: ClassTable) -> bool:
        """Use `class_table` and write it to segstudio.json; False (and a message) when it was not."""
        if self._project is None:
            return False
        saved = self._write_project(self._project.with_classes(class_table))
        self.classes_changed.emit()
        return saved

    def _write_project(self, project: Project) -> bool:
        """Write segstudio.json for `project` and use it (another program's version may win: saving.py)."""
        result = write_project(project, self.resolve_conflict)
        if result.outcome in (Outcome.SAVED, Outcome.RELOAD):  # cancelled or failed: the project stays as it was
            self._project = result.project
        if result.outcome is Outcome.FAILED:
            self.error.emit(f"Could not save the classes: {result.sentence}")
        elif result.sentence:
            self.status_message.emit(result.sentence)
        if result.outcome is Outcome.RELOAD:
            self.classes_changed.emit()
        return result.outcome is Outcome.SAVED


def _shown_path(project: Project, path: Path) -> str:
    """The label file as the user knows it: relative to the project ("labels/x.png"), else in full."""
    try:
        return Path(path).relative_to(project.root).as_posix()
    except ValueError:
        return str(path)
