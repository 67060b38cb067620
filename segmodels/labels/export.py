"""Export a project's reviewed labels as PNG files named `<stem>.png` in an output folder.

Formats:
- `palette`: the label map as an 8-bit palette PNG (indices kept, 255 included; palette = class colours);
- `color`:   an RGB PNG of the class colours (unlabelled pixels in the palette's void colour);
- `overlay`: the colours blended over the image with `alpha` (unlabelled pixels show the image);
- `index`:   an 8-bit grey PNG, value = class index, 255 = unlabelled (mmseg's and ADE20K's form);
- `cityscapes-trainids|labelids|color`: Cityscapes files `gtFine/<split>/<city>/X_gtFine_<kind>.png`,
  as cityscapesScripts writes them (segmodels/formats/cityscapes_export.py).
Whole dataset layouts (`--layout voc`, `--format cvat`) are written by segmodels/formats/voc_export.py
and segmodels/formats/cvat_export.py.

`iter_export` yields one `ExportStep` per image so the CLI and the GUI can show progress and cancel
between files. Every file is written atomically; an image whose label or image cannot be read is
reported in its step and skipped, never aborting the rest, and so is one that got a twin with its stem
since the project was opened (both would export as one `<stem>.png`; Project.open refuses a project
that already has one).
"""
from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segmodels.atomic import DurableBatch, atomic_write_bytes
from segmodels.errors import SegError, describe
from segmodels.formats.cityscapes_export import (
    CITYSCAPES_FORMATS,
    export_label,
    export_target,
    require_cityscapes_classes,
)
from segmodels.labels.blend import blend
from segmodels.labels.labelio import encode_label_png
from segmodels.labels.outputs import ProtectedData, check_output_folder
from segmodels.labels.project import Project


class ExportFormat(str, enum.Enum):
    PALETTE = "palette"
    COLOR = "color"
    OVERLAY = "overlay"
    INDEX = "index"
    #: Cityscapes files under gtFine/<split>/<city>/ (segmodels/formats/cityscapes_export.py)
    CITYSCAPES_TRAINIDS = "cityscapes-trainids"
    CITYSCAPES_LABELIDS = "cityscapes-labelids"
    CITYSCAPES_COLOR = "cityscapes-color"


@dataclass(frozen=True)
class ExportStep:
    index: int           # 1-based
    total: int
    image: Path
    written: Path | None  # None when skipped
    error: str | None = None


def encode_rgb_png(rgb: np.ndarray) -> bytes:
    import cv2  # imported here: only exports and previews encode RGB PNGs

    bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)  # 7x faster than copying rgb[:, :, ::-1]
    ok, encoded = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()


def encode_grey_png(label_map: np.ndarray) -> bytes:
    """An H x W uint8 label map as an 8-bit grey PNG (mode L): value = index, 255 = unlabelled."""
    import cv2

    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(label_map), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()


def render(project: Project, image: Path, fmt: ExportFormat, alpha: float) -> bytes:
    """The PNG bytes for one labelled image in the given format (SegError if unreadable)."""
    label_map = project.read_label(image)
    if label_map is None:
        raise SegError(f"{describe(image)} has no label.", path=image)
    if fmt is ExportFormat.PALETTE:
        return encode_label_png(label_map, project.classes)
    if fmt is ExportFormat.INDEX:
        return encode_grey_png(label_map)
    if fmt is ExportFormat.COLOR:
        return encode_rgb_png(project.classes.palette()[label_map])
    from segmodels.labels.imageio import read_image, upright_note

    loaded = read_image(image)
    rgb = loaded.rgb
    if rgb.shape[:2] != label_map.shape:
        raise SegError(f"Label {describe(project.label_path(image))} is {label_map.shape[1]}x{label_map.shape[0]} "
                       f"but its image is {rgb.shape[1]}x{rgb.shape[0]}{upright_note(loaded.orientation)}.",
                       path=image)
    return encode_rgb_png(blend(rgb, label_map, project.classes, alpha))


def iter_export(project: Project, out_dir: str | os.PathLike[str], fmt: ExportFormat | str = ExportFormat.PALETTE,
                alpha: float = 0.5) -> Iterator[ExportStep]:
    """Export every reviewed label of `project` into `out_dir`, one step per image."""
    fmt = ExportFormat(fmt)
    if not 0.0 <= alpha <= 1.0:
        raise SegError(f"Alpha must be between 0 and 1, got {alpha}.")
    cityscapes = CITYSCAPES_FORMATS.get(fmt.value)
    if cityscapes is not None:
        require_cityscapes_classes(project)
    out = check_output_folder(out_dir, ProtectedData.of_project(project), "Output")
    images = project.labelled_images()
    total = len(images)
    with DurableBatch() as batch:  # synced once per batch of files, each renamed into place once synced
        for index, image in enumerate(images, start=1):
            target = out / f"{image.stem}.png" if cityscapes is None else export_target(project, out, image, cityscapes)
            batch.commit_if_due()
            try:
                project.refuse_stem_clash(image, target, "exported file")
                with batch.active():
                    if cityscapes is not None:
                        export_label(project, image, target, cityscapes)
                    else:
                        atomic_write_bytes(target, render(project, image, fmt, alpha))
            except SegError as exc:
                yield ExportStep(index, total, image, None, str(exc))
                continue
            yield ExportStep(index, total, image, target)
