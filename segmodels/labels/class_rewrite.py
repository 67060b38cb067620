"""Apply a class edit (segmodels/labels/class_edits.py) to a project on disk: every label file and
every prediction file is rewritten with the new indices, then the class table is saved, all or nothing.

    plan = plan_rewrite(project, edit)          # which files; plan.warning() for the question to the user
    for step in apply_rewrite(plan, cancel):    # a generator: progress steps; returns the saved Project
        ...                                     # (None when cancelled: nothing was changed)

Safety (docs/reliability.md, "Issue 16, item 7"):
- refused before anything is written, in one sentence, when a folder it writes is read-only, when
  segstudio.json changed since it was read, when unsaved edits wait in recovery files, or when an
  earlier edit is unfinished;
- each file keeps its encoding (palette, grey, colour, labelIds, binary, one-hot) through
  `write_label_file`, a palette file keeps its own palette with each class's colour moved to its new
  index, and every staged file is read back and compared before anything is replaced;
- the order is the journal's (segmodels/labels/class_journal.py): all new files staged, then renamed,
  then the table. A cancel or a failure while staging removes the staged files (nothing changed); an
  interruption after that is finished by the next `Project.open`, which says so.
- predictions are remapped like labels (confidence files hold no class and stay as they are).
"""
from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.cancel import CancelFlag, never
from segmodels.errors import ChangedOnDisk, SegError, describe
from segmodels.formats.encodings import LabelEncoding, read_label_file, write_label_file
from segmodels.formats.labelfiles import iter_label_files
from segmodels.formats.layouts import FOLDER, PROJECT
from segmodels.labels.class_edits import ClassEdit
from segmodels.labels.class_journal import (
    COMMITTING,
    STAGED_PREFIX,
    STAGING,
    Journal,
    move_into_place,
    read_journal,
    staged_path,
)
from segmodels.labels.classes import voc_palette
from segmodels.labels.imageio import open_pil
from segmodels.labels.labelio import read_label_png, write_label_png
from segmodels.labels.onehot import load_array
from segmodels.labels.project import RECOVERY_DIR, Project, ProjectKind
from segmodels.stamps import changed_since


@dataclass(frozen=True)
class RewritePlan:
    project: Project
    edit: ClassEdit
    labels: tuple[Path, ...]
    predictions: tuple[Path, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        return self.labels + self.predictions

    def warning(self) -> str:
        """What the user is asked before the rewrite."""
        if not self.files:
            return f"{self.edit.summary} No label file needs rewriting."
        predictions = f" and remaps {len(self.predictions)} prediction file(s)" if self.predictions else ""
        return (f"{self.edit.summary} This rewrites {len(self.labels)} label file(s){predictions} and cannot be "
                "undone with Ctrl+Z.")


@dataclass(frozen=True)
class RewriteStep:
    done: int
    total: int
    path: Path | None    # the file just handled (None: the class table)


def plan_rewrite(project: Project, edit: ClassEdit) -> RewritePlan:
    """Every label file of the project's images and every prediction (none when no index changes). In
    segstudio's own layout the labels folder holds labels only, so a label whose image is gone is
    rewritten too; a dataset's folders (Cityscapes' gtFine) also hold other files, left alone."""
    if not edit.remaps_pixels:
        return RewritePlan(project, edit, (), ())
    labels = [path for image in project.labelled_images() if (path := project.label_path(image)).is_file()]
    if project.layout in (PROJECT, FOLDER):
        labels += sorted(set(iter_label_files(project.labels_dir)) - set(labels))
    predictions = tuple(iter_label_files(project.predictions_dir, LabelEncoding.PALETTE, recursive=True))
    return RewritePlan(project, edit, tuple(labels), predictions)


def recovery_files(project: Project) -> list[Path]:
    """Unsaved edits autosaved beside the project (app/document/recovery_store.py writes `<stem>.png`)."""
    folder = project.root / RECOVERY_DIR
    return sorted(folder.glob("*.png")) if folder.is_dir() else []


def refuse_unsafe(plan: RewritePlan, *, recovery: bool = True) -> None:
    """SegError, before anything is written, when the rewrite could not run to its end safely.
    `recovery=False` skips the recovery-file check: the window asks before the worker starts, while
    the recovery files of edits it has just saved may still be being removed (the worker checks)."""
    project = plan.project
    journal = read_journal(project.root)
    if journal is not None:
        raise SegError(f"An earlier class edit of {describe(project.root)} is unfinished; reopen the project to "
                       "finish it first.", path=journal.path)
    if project.kind is ProjectKind.PROJECT and changed_since(project.config_path, project.config_stamp):
        raise ChangedOnDisk(f"Project file {describe(project.config_path)} was changed by another program since "
                            "it was opened; reopen the project and try again. Nothing was changed.",
                            path=project.config_path)
    waiting = recovery_files(project) if recovery else []
    if waiting:
        raise SegError(f"{describe(project.root)} has unsaved edits of {len(waiting)} image(s) in recovery files "
                       f"(first {describe(waiting[0])}); open the project in segstudio and save or discard them "
                       "first. Nothing was changed.", path=waiting[0])
    folders = dict.fromkeys([project.root, *(path.parent for path in plan.files)])
    for folder in folders:
        if not os.access(folder, os.W_OK | os.X_OK):
            count = sum(1 for path in plan.files if path.parent == folder)
            what = f"it holds {count} of the files to rewrite" if count else "the class table is saved there"
            raise SegError(f"{describe(folder)} is read-only and {what}; nothing was changed.", path=folder)


def apply_rewrite(plan: RewritePlan, cancel: CancelFlag = never) -> Iterator[RewriteStep]:
    """Rewrite the plan's files, then save the class table; yields one step per file. Returns the saved
    project, or None when cancelled while staging (every staged file removed: nothing changed)."""
    refuse_unsafe(plan)
    project, edit = plan.project, plan.edit
    files = plan.files
    total = 2 * len(files) + 1
    if not files:
        saved = project.with_classes(edit.new).save()
        yield RewriteStep(total, total, None)
        return saved
    journal = Journal(project.root, STAGING, edit.summary, edit.new, files).write(STAGING)
    try:
        for done, path in enumerate(files, start=1):
            if cancel():
                journal.roll_back()
                return None
            if path in plan.labels:
                stage_label(project, edit, path)
            else:
                stage_prediction(edit, path)
            yield RewriteStep(done, total, path)
    except BaseException:  # a failure, a closed generator or Ctrl+C: labels are untouched, so undo
        journal.roll_back()
        raise
    journal = journal.write(COMMITTING)  # the point of no return: from here the edit is finished, even after a crash
    for done, path in enumerate(files, start=len(files) + 1):
        move_into_place(path)
        yield RewriteStep(done, total, path)
    saved = project.with_classes(edit.new).save(force=True)  # changes since opening were refused above
    journal.remove()
    yield RewriteStep(total, total, None)
    return saved


def run_rewrite(plan: RewritePlan, cancel: CancelFlag = never) -> Project | None:
    """`apply_rewrite` to its end, ignoring the steps (tests, and callers without progress)."""
    steps = apply_rewrite(plan, cancel)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


# -- one file ----------------------------------------------------------------------------------------
def stage_label(project: Project, edit: ClassEdit, path: Path) -> Path:
    """Write `path`'s remapped label to its staged copy in the file's own encoding; read it back."""
    encoding = project.label_encoding_of(path)
    if encoding is LabelEncoding.LABEL_IDS:
        raise SegError(f"Label {describe(path)} holds Cityscapes label ids, whose classes are fixed; classes of "
                       "such a dataset can be renamed but not deleted or moved. Nothing was changed.", path=path)
    if encoding is LabelEncoding.ONEHOT and len(edit.new) != len(edit.old) and load_array(path).ndim == 3:
        raise SegError(f"Label {describe(path)} is a one-hot stack with one channel per class; segstudio does not "
                       "change its channel count, so classes can be moved and renamed here but not deleted. "
                       "Nothing was changed.", path=path)
    old_map = read_label_file(path, edit.old, encoding)
    new_map = edit.lut[old_map]
    staged = staged_path(path)
    if encoding is LabelEncoding.PALETTE:
        _copy_with_moved_palette(path, staged, edit)  # write_label_file then keeps this palette
    elif encoding in (LabelEncoding.GREY, LabelEncoding.BINARY):
        shutil.copyfile(path, staged)  # its bit depth and the stored value of every unchanged pixel are kept
    # colour: written in the table's colours, which move with their classes; one-hot: in the form of `path`
    like = path if encoding is LabelEncoding.ONEHOT else None
    try:
        write_label_file(staged, new_map, edit.new, encoding, like=like)
        back = read_label_file(staged, edit.new, encoding)
    except SegError as exc:
        raise SegError(f"Label {describe(path)} cannot be rewritten in its encoding ({encoding.value}): {exc} "
                       "Nothing was changed.", path=path) from None
    if not np.array_equal(back, new_map):
        raise SegError(f"Label {describe(path)} does not read back as written in its encoding ({encoding.value}); "
                       "nothing was changed.", path=path)
    return staged


def stage_prediction(edit: ClassEdit, path: Path) -> Path:
    """Predictions are palette PNGs of class indices (segmodels/labels/project.py write_prediction)."""
    staged = staged_path(path)
    write_label_png(staged, edit.lut[read_label_png(path)], edit.new)
    return staged


def _copy_with_moved_palette(path: Path, staged: Path, edit: ClassEdit) -> None:
    """A 1 x 1 palette PNG at `staged` carrying `path`'s palette with each class's entry at the class's
    new index (and its transparency): `write_label_file` keeps the palette and transparency of the file
    it replaces and nothing else of a palette file, so the file's own colours (which may differ from the
    table's) still show each class as before, without decoding the pixels twice."""
    with open_pil(path, what="label", decode=False) as image:
        if image.mode != "P":
            return  # a palette with alpha (PA): written fresh in the table's colours
        old = list(image.getpalette() or [])
        transparency = image.info.get("transparency")
    fallback = voc_palette().reshape(-1).tolist()
    old += fallback[len(old):]  # short palettes: the entries they lack read as VOC colours
    moved = list(old)
    for new_id, old_id in enumerate(edit.origins):
        moved[3 * new_id: 3 * new_id + 3] = old[3 * old_id: 3 * old_id + 3]
    carrier = Image.new("P", (1, 1))
    carrier.putpalette(moved)
    try:  # a plain write: the staged file is replaced next, and a crash before that is rolled back
        carrier.save(staged, format="PNG", **({} if transparency is None else {"transparency": transparency}))
    except OSError as exc:
        raise SegError(f"Cannot write {describe(staged)}: {exc.strerror or exc}.", path=staged) from exc


def leftover_staged(folder: Path) -> list[Path]:
    """Staged copies in `folder` (for tests and diagnostics: after a settled edit there are none)."""
    with contextlib.suppress(OSError):
        return sorted(p for p in folder.rglob(STAGED_PREFIX + "*"))
    return []
