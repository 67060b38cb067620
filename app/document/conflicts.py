"""When a file changed on disk under unsaved edits: what the user is asked, and the copies kept.

Two windows (or a window and a script) on one project, or an image replaced while its label is being
edited, must never end in a silent overwrite (docs/reliability.md, "Two writers on one project"). The
document notices (segmodels/stamps.py) and describes the situation as a `Conflict`; whoever owns the
dialogs answers it with a `Choice` (the main window asks the user; without a window the answer is
`safest`, which keeps both versions). The document never opens a dialog itself.

    KEEP_MINE    write the edits over the other version (offered only when they still fit the image)
    TAKE_THEIRS  drop the edits and show what is on disk now
    SAVE_COPY    write the edits to <project>/conflicts/ and show what is on disk now
    CANCEL       do nothing now (a save is not done; the edits stay in memory)
"""
from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_write_text
from segmodels.errors import describe
from segmodels.labels.labelio import write_label_png
from segmodels.labels.project import Project, refuse_symlinked_folder

#: Edits that could not go where they belonged are written here, inside the project, never deleted.
CONFLICTS_DIR = "conflicts"


class Choice(enum.Enum):
    KEEP_MINE = "Keep mine"
    TAKE_THEIRS = "Take theirs"
    SAVE_COPY = "Save mine as a copy"
    CANCEL = "Cancel"


@dataclass(frozen=True)
class Conflict:
    sentence: str                   # what happened, naming the file; the dialog's text
    choices: tuple[Choice, ...]     # in the order the buttons show


Resolver = Callable[[Conflict], Choice]

#: What each button does, said under the question so nobody has to guess which version survives.
EXPLAINED = {
    Choice.KEEP_MINE: "Keep mine writes your edits over the other version.",
    Choice.TAKE_THEIRS: "Take theirs drops your edits and shows the file on disk.",
    Choice.SAVE_COPY: f"Save mine as a copy writes your edits to the project's {CONFLICTS_DIR}/ folder "
                      "and shows the file on disk.",
}


def explain(conflict: Conflict) -> str:
    """The question's text with one line per offered choice."""
    return "\n\n".join([conflict.sentence, " ".join(EXPLAINED[choice] for choice in conflict.choices)])


def safest(conflict: Conflict) -> Choice:
    """The answer when nobody can be asked: keep both versions, never overwrite, never drop."""
    return Choice.SAVE_COPY if Choice.SAVE_COPY in conflict.choices else Choice.CANCEL


def label_conflict(label_file: Path) -> Conflict:
    return Conflict(f"Label {describe(label_file)} was changed by another window or program since you opened it, "
                    "and you have unsaved edits of it.", (Choice.KEEP_MINE, Choice.TAKE_THEIRS, Choice.SAVE_COPY))


def image_conflict(image: Path, edited_shape: tuple[int, int], now_shape: tuple[int, int] | None) -> Conflict:
    """The image under unsaved edits was replaced on disk. Keeping the edits is offered only when the
    new image has their size: a label of another size can never be saved for it."""
    if now_shape == edited_shape:
        return Conflict(f"Image {describe(image)} was replaced on disk while you had unsaved edits of its label; "
                        "the new image has the same size.", (Choice.KEEP_MINE, Choice.TAKE_THEIRS, Choice.SAVE_COPY))
    was = f"{edited_shape[1]}x{edited_shape[0]}"
    now = "unreadable or gone" if now_shape is None else f"{now_shape[1]}x{now_shape[0]}"
    return Conflict(f"Image {describe(image)} was replaced on disk while you had unsaved edits of its label "
                    f"(it was {was}, now it is {now}); your edits no longer fit it.",
                    (Choice.SAVE_COPY, Choice.TAKE_THEIRS))


def project_file_conflict(config_path: Path) -> Conflict:
    return Conflict(f"Project file {describe(config_path)} was changed by another window or program since you "
                    "opened it; saving your classes would replace its version.",
                    (Choice.KEEP_MINE, Choice.TAKE_THEIRS, Choice.SAVE_COPY))


def save_label_copy(project: Project, image: Path, label_map: np.ndarray) -> Path:
    """Write `label_map` as <project>/conflicts/<stem>-<time>.png (palette PNG, the project's colours)."""
    target = _freedescribe(project, Path(image).stem, ".png")
    write_label_png(target, label_map, project.classes)
    return target


def save_project_copy(project: Project) -> Path:
    """Write `project`'s segstudio.json content as <project>/conflicts/segstudio-<time>.json."""
    target = _freedescribe(project, "segstudio", ".json")
    atomic_write_text(target, json.dumps(project.to_json(), indent=2) + "\n")
    return target


def _freedescribe(project: Project, stem: str, suffix: str) -> Path:
    folder = project.root / CONFLICTS_DIR
    refuse_symlinked_folder(folder)  # like every folder segstudio writes into: never through a link
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    target, counter = folder / f"{base}{suffix}", 1
    while target.exists():
        target, counter = folder / f"{base}-{counter}{suffix}", counter + 1
    return target
