"""The journal that keeps a class edit all-or-nothing across a cancel, a failure or a crash.

A class edit that changes indices rewrites every label and prediction file, then the class table.
It never writes over a file until every new file is ready (segmodels/labels/class_rewrite.py):

1. `staging`: the journal `<project>/.segstudio-class-edit.json` names each file and its staged copy
   (`.sgs-classes.<name>` beside it); the copies are written. Labels are untouched, so an
   interruption here is undone: staged copies removed, journal removed ("rolled back").
2. `committing`: the journal is rewritten with this phase (one atomic write: the point of no
   return), each staged copy replaces its file (`os.replace`), then segstudio.json gets the new
   class table, last, and the journal is removed. An interruption here is finished by the next open:
   the copies still staged are moved into place and the table written ("finished").

`settle` does that; `Project.open` calls it, so no program that opens the project (the window, any
command) ever sees labels and a class table that disagree, and the user is told which of the two
happened. Paths in a journal are relative to the project and checked to stay inside it: a stranger's
journal cannot make segstudio move files elsewhere.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from segmodels.atomic import atomic_write_text, read_regular_bytes
from segmodels.constants import CLASS_EDIT_JOURNAL
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable

JOURNAL_NAME = CLASS_EDIT_JOURNAL
STAGED_PREFIX = ".sgs-classes."
JOURNAL_VERSION = 1
STAGING, COMMITTING = "staging", "committing"

P = TypeVar("P")
log = logging.getLogger(__name__)


def staged_path(final: Path) -> Path:
    """Where the new content of `final` is written before it replaces it (same folder, same suffix:
    writers choose the format by suffix; the leading dot keeps it out of image and label listings)."""
    return final.with_name(STAGED_PREFIX + final.name)


@dataclass(frozen=True)
class Journal:
    root: Path
    phase: str
    summary: str
    classes: ClassTable
    files: tuple[Path, ...]    # the files rewritten; each one's staged copy is `staged_path(file)`

    @property
    def path(self) -> Path:
        return self.root / JOURNAL_NAME

    def write(self, phase: str) -> Journal:
        data = {"version": JOURNAL_VERSION, "phase": phase, "summary": self.summary,
                "classes": self.classes.to_json(),
                "files": [f.relative_to(self.root).as_posix() for f in self.files]}
        atomic_write_text(self.path, json.dumps(data, indent=1) + "\n")
        return Journal(self.root, phase, self.summary, self.classes, self.files)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def roll_back(self) -> None:
        """Remove every staged copy, then the journal: the project is as before the edit."""
        for final in self.files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged_path(final))
        self.remove()

    def roll_forward(self) -> int:
        """Move every staged copy still there over its file; how many were moved. The journal stays
        (the class table comes next, then `remove`)."""
        return sum(move_into_place(final) for final in self.files)


def move_into_place(final: Path) -> bool:
    """Replace `final` by its staged copy, if that is still there; whether it was."""
    staged = staged_path(final)
    if not staged.is_file():
        return False
    try:
        os.replace(staged, final)
    except OSError as exc:
        raise SegError(f"Cannot replace {describe(final)} with its rewritten copy ({exc.strerror or exc}); the "
                       "class edit is unfinished and segstudio finishes it the next time the project is opened.",
                       path=final) from exc
    return True


def read_journal(root: Path) -> Journal | None:
    """The journal of an unfinished class edit in project `root`, or None; SegError when it is damaged."""
    path = root / JOURNAL_NAME
    if not path.exists():
        return None
    damaged = (f"The class edit journal {describe(path)} is damaged; labels may be half rewritten. Check "
               f"the files named '{STAGED_PREFIX}*' beside the labels, then delete the journal.")
    try:
        data = json.loads(read_regular_bytes(path, "class edit journal").decode("utf-8"))
        phase, files = data["phase"], [_inside(root, entry) for entry in data["files"]]
        classes = ClassTable.from_json(data["classes"], source=f"class edit journal {describe(path)}")
    except (ValueError, KeyError, TypeError) as exc:
        raise SegError(damaged, path=path) from exc
    if phase not in (STAGING, COMMITTING):
        raise SegError(damaged, path=path)
    return Journal(root, phase, str(data.get("summary", "")), classes, tuple(files))


def _inside(root: Path, entry: object) -> Path:
    if not isinstance(entry, str) or Path(entry).is_absolute() or ".." in Path(entry).parts:
        raise ValueError(f"not a path inside the project: {entry!r}")
    return root / entry


def settle(project: P) -> tuple[P, str | None]:
    """Finish or undo an interrupted class edit of `project` (anything with `root`, `with_classes`
    and `save`, i.e. a Project); returns the project as it now is and the sentence to show, or None
    when there was nothing to do. SegError (one sentence) when it cannot be settled (read-only)."""
    root = Path(project.root)  # type: ignore[attr-defined]
    journal = read_journal(root)
    if journal is None:
        return project, None
    what = f" ({journal.summary.rstrip('.')})" if journal.summary else ""
    if journal.phase == STAGING:
        journal.roll_back()
        note = f"An interrupted class edit{what} was rolled back; no label had been changed."
    else:
        moved = journal.roll_forward()
        project = project.with_classes(journal.classes).save(force=True)  # type: ignore[attr-defined]
        journal.remove()
        note = (f"An interrupted class edit{what} was finished: {moved} more file(s) rewritten and the class "
                "table saved.")
    log.warning("%s: %s", root, note)  # the command line shows it; the window shows the project's origin too
    return project, note
