"""Turning a foreign annotation format into a segstudio project, one image at a time (docs/formats.md,
"Importing").

A format module (coco.py, labelme.py) reads its files into an `ImportPlan`: the class table, and one
`ImportItem` per image whose `load` gives the image (copied unchanged, from a file or embedded bytes)
and its label map. `iter_import` then writes a normal project (images/ + labels/ as palette PNGs,
through `Project.create` and `Project.write_label`) and yields one `ConvertStep` per image, so the CLI
and the GUI show progress and can stop between images (`cancel`, or stop iterating): what was
imported stays a valid project.

What the output may be, decided before anything is written (`check_import_output`): a missing or
empty folder, or a segstudio project with the same class names (more images are added to it). Nothing
already there is replaced: an image file of the same name must hold the same bytes, and an existing
label the same label map (then the image counts as already imported), else that image is skipped and
named.
"""
from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from segmodels.atomic import BatchSyncFailed, DurableBatch, atomic_write_bytes, discard_write, read_regular_bytes
from segmodels.cancel import CancelFlag, never
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import SWAPS_AXES, exif_orientation, read_header
from segmodels.labels.project import PROJECT_FILE, Project


@dataclass(frozen=True)
class ConvertStep:
    """One image of an import or export: `error` when it was skipped, `notes` for what was left out
    of an image that was done (a bad annotation), `target` the file written (None when skipped)."""

    index: int                 # 1-based
    total: int
    source: Path               # the file the step is about (annotation file or image)
    target: Path | None
    error: str | None = None
    notes: tuple[str, ...] = ()
    already: bool = False      # the same image and label were already in the project


@dataclass(frozen=True)
class LoadedItem:
    image: Path | bytes        # the image file, or its bytes (labelme's embedded imageData)
    label: np.ndarray          # H x W uint8 class indices, 255 = unlabelled
    notes: tuple[str, ...] = ()
    name: str | None = None    # the image's file name in the project when not the item's (embedded data)


@dataclass(frozen=True)
class ImportItem:
    source: Path                           # named in every sentence about this image
    image_name: str                        # the file name the image gets in the project's images/
    load: Callable[[], LoadedItem]         # SegError (one sentence) when the image cannot be imported


@dataclass(frozen=True)
class ImportPlan:
    kind: str                              # "COCO", "labelme": how the source is named to the user
    out: Path
    classes: ClassTable
    items: tuple[ImportItem, ...]
    notes: tuple[str, ...] = ()            # sentences about the source that concern no one image
    #: Called with the project once it exists, before any image (COCO records its category ids here)
    on_created: Callable[[Project], None] | None = field(default=None, compare=False)


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(read_regular_bytes(path, what).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise SegError(f"{what[:1].upper()}{what[1:]} {describe(path)} is not valid JSON{where}.", path=path) from None


def check_import_output(out: str | os.PathLike[str], classes: ClassTable) -> Project | None:
    """The existing project `out` to add to (same class names), None when `out` is to be created;
    SegError, writing nothing, for anything else."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SegError(f"--out {describe(out)} exists and is not a folder; choose a new folder for the project.",
                       path=out)
    if not out.exists() or not any(out.iterdir()):
        return None
    if not (out / PROJECT_FILE).is_file():
        raise SegError(f"--out {describe(out)} is a folder that is not empty and not a segstudio project; "
                       "import into a new folder (nothing was written).", path=out)
    project = Project.open(out)
    if project.classes.names != classes.names:
        raise SegError(f"--out {describe(out)} is a segstudio project with other classes "
                       f"({', '.join(project.classes.names)}) than the import's ({', '.join(classes.names)}); "
                       "import into a new folder (nothing was written).", path=out)
    return project


def upright_size(image: Path | bytes, source: Path) -> tuple[int, int]:
    """(height, width) of the image as every reader shows it (EXIF orientation applied), header only."""
    if isinstance(image, Path):
        header = read_header(image)
        return header.height, header.width
    try:
        with Image.open(io.BytesIO(image)) as opened:
            width, height = opened.size
            if exif_orientation(opened) in SWAPS_AXES:
                width, height = height, width
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise SegError(f"{describe(source)} embeds image data (imageData) that is not a readable image.",
                       path=source) from None
    return height, width


def image_suffix(data: bytes) -> str | None:
    """The file suffix of encoded image bytes (by their header), or None."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            fmt = opened.format
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "TIFF": ".tif", "WEBP": ".webp"}.get(fmt or "")


def iter_import(plan: ImportPlan, cancel: CancelFlag = never) -> Iterator[ConvertStep]:
    """Write the plan's images and labels into its output project, one step per image."""
    project = check_import_output(plan.out, plan.classes) or Project.create(plan.out, plan.classes)
    if plan.on_created is not None:
        plan.on_created(project)
    total = len(plan.items)
    with DurableBatch() as batch:  # one sync per batch of files, each renamed into place once synced
        for index, item in enumerate(plan.items, start=1):
            if cancel():
                return
            batch.commit_if_due()
            try:
                with batch.active():
                    target, notes, already = _import_one(project, item, batch)
            except BatchSyncFailed:
                raise  # the disk failed the batch: not this image's problem, the import's
            except SegError as exc:
                yield ConvertStep(index, total, item.source, None, str(exc))
                continue
            yield ConvertStep(index, total, item.source, target, notes=notes, already=already)


def _import_one(project: Project, item: ImportItem, batch: DurableBatch) -> tuple[Path, tuple[str, ...], bool]:
    loaded = item.load()
    image_path = project.images_dir / (loaded.name or item.image_name)
    label_path = project.label_path(image_path)
    if batch.holds(image_path) or batch.holds(label_path):
        batch.commit()  # an earlier item wrote this name (or its stem): the checks below must see it
    project.refuse_stem_clash(image_path)
    data = loaded.image if isinstance(loaded.image, bytes) else None
    image_exists = image_path.exists()
    if image_exists:
        theirs = data if data is not None else read_regular_bytes(loaded.image, "image")
        if read_regular_bytes(image_path, "image") != theirs:
            raise SegError(f"{describe(item.source)}: the project already has another image named "
                           f"{describe(image_path)}; it was not replaced.", path=item.source)
    if label_path.exists():
        if np.array_equal(project.read_label_file(label_path), loaded.label):
            return label_path, loaded.notes, True
        raise SegError(f"{describe(item.source)}: the project already has a different label {describe(label_path)} "
                       "for this image; it was not replaced.", path=item.source)
    if not image_exists:
        atomic_write_bytes(image_path, data if data is not None else read_regular_bytes(loaded.image, "image"))
    try:
        return project.write_label(image_path, loaded.label, stem_checked=True), loaded.notes, False
    except SegError:
        if not image_exists:  # leave no image without its label behind
            discard_write(image_path)
        raise


def check_size(label: np.ndarray, size: tuple[int, int], source: Path, image: Path | str) -> None:
    """SegError when an annotation's size (the label's) is not its image's upright size."""
    if tuple(label.shape) != tuple(size):
        raise SegError(f"{describe(source)} annotates {describe(image)} as {label.shape[1]}x{label.shape[0]}, but "
                       f"the image is {size[1]}x{size[0]} (width x height); not imported.", path=source)
