"""Save Labels As: write the labels being edited to a folder the user picks (issue 13, item 17).

What is written: the label map of every image with unsaved edits, plus the current image's, each as
`<stem>.png` (`<stem>.npy` for one-hot) in the project's label encoding with its class table (as a
label file: a grey project's labels stay grey, docs/formats.md), written atomically.
Which folders are refused, with one sentence and nothing written: the project's images folder (a
`<stem>.png` there could replace a PNG image of the same stem, and every label would show up as an
image), a folder that does not exist, and one that cannot be written. This module is Qt-free and
asks nothing; the command in app/window/save_as_command.py asks the questions and reports.

After a successful write, the edits count as saved (`mark_written`): the undo stacks are clean, so
closing does not ask, and their recovery files are removed. The project's own label files are not
touched, so the sessions stay in memory (app/document/sessions.py `saved_elsewhere`): a later visit
shows the edits, not the older label on disk.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from segmodels.errors import SegError, describe
from segmodels.formats.encodings import LabelEncoding, write_label_file
from segmodels.formats.labelfiles import label_file

if TYPE_CHECKING:
    from app.document.label_document import LabelDocument
    from segmodels.labels.project import Project

SHORTCUT = "Ctrl+Shift+S"
COMMAND = f"File → Save Labels As… ({SHORTCUT})"


def read_only_warning(project: Project) -> str:
    """What `LabelDocument.open_project` says about a project whose labels cannot be saved."""
    return (f"Labels cannot be saved in {describe(project.labels_dir)} (read-only); you can paint, but edits "
            f"stay in memory until you save them elsewhere with {COMMAND}.")


def images_to_write(document: LabelDocument) -> list[Path]:
    """Every image with unsaved edits, and the current image (its label as shown), in list order."""
    images = list(document.unsaved_images())
    current = document.image_path
    if current is not None and current not in images and document.label_map is not None:
        images.append(current)
    return sorted(images, key=lambda p: p.name.lower())


def refusal(project: Project, folder: Path) -> str | None:
    """One sentence why labels cannot be written to `folder`, or None when they can."""
    if not folder.is_dir():
        return f"Cannot save labels to {describe(folder)}: it is not a folder."
    if os.path.realpath(folder) == os.path.realpath(project.images_dir):
        return (f"Cannot save labels to {describe(folder)}: it is the project's images folder, "
                "where a label could replace an image; choose another folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"Cannot save labels to {describe(folder)}: the folder is not writable; choose another folder."
    return None


def targets(folder: Path, images: list[Path], encoding: LabelEncoding = LabelEncoding.PALETTE) -> dict[Path, Path]:
    """image -> the file its label is written to in `folder` (the encoding's suffix)."""
    return {image: label_file(folder / image.stem, encoding, lambda: None) for image in images}


def existing(paths: dict[Path, Path]) -> list[Path]:
    """The target files that already exist (the user is asked before they are replaced)."""
    return [target for target in paths.values() if os.path.lexists(target)]


def write_all(document: LabelDocument, paths: dict[Path, Path]) -> None:
    """Write each image's in-memory label map to its target. At the first that fails: SegError, one
    sentence naming the folder and file; files written before it stay (each complete: atomic writes),
    but the caller marks nothing saved."""
    classes, project = document.class_table, document.project
    encoding = project.label_encoding if project is not None else LabelEncoding.PALETTE
    like = project.label_model if project is not None and encoding is LabelEncoding.ONEHOT else None
    for image, target in paths.items():
        label_map = document.label_map_of(image)
        try:
            if label_map is None:  # unsaved and current images always have one
                raise SegError(f"the label of {image.name} is no longer in memory")
            write_label_file(target, label_map, classes, encoding, like=like)
        except (SegError, OSError) as exc:
            cause = exc if isinstance(exc, OSError) else exc.__cause__
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc).rstrip(".")
            raise SegError(f"Could not save labels to {describe(target.parent)}: writing {target.name} failed "
                           f"({reason}); the edits stay unsaved in memory.", path=target) from exc


def mark_written(document: LabelDocument, images: list[Path]) -> None:
    """The edits of `images` are saved elsewhere: clean undo stacks (no close question). Not
    `image_saved`, which means "the project's label file matches memory": the image list would
    mark the image reviewed although its label file was never written."""
    for image in images:
        document.mark_saved_elsewhere(image)
    document.dirty_changed.emit(document.is_dirty)  # the image list redraws its unsaved markers
