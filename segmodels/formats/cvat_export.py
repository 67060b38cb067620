"""`segstudio export PROJECT --format cvat --out OUT.zip`: a CVAT "Segmentation mask 1.1" zip, as CVAT
itself exports one (docs/formats.md, "VOC, labelme and CVAT"):

    labelmap.txt                        `# label:color_rgb:parts:actions`, then `name:r,g,b::` per class
    SegmentationClass/<id>.png          RGB PNG, each pixel its class's labelmap colour
    ImageSets/Segmentation/default.txt  the image ids, one a line
    JPEGImages/<id>.<ext>               the images, byte for byte (datumaro finds them by any extension)

CVAT's importer (datumaro) looks every colour up in labelmap.txt and refuses an undeclared one, and CVAT
has no "unlabelled": pixels nobody annotated are `background`. So unlabelled pixels (255) are written in
the colour of the class named `background`; a project without one gets a `background` line added at
the end of labelmap.txt (other indices unchanged), in black unless a class already uses black. Either
way one sentence says how many pixels that concerned. No SegmentationObject/ is written: datumaro reads
class masks alone, and segstudio has no instances to put there.
"""
from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_open, read_regular_bytes, sweep_stale_temporaries
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.classlists import LABELMAP_FILE, format_labelmap, labelmap_problem
from segmodels.formats.voc import IMAGES_DIR, SPLITS_DIR
from segmodels.formats.voc_export import checked_label, item_id
from segmodels.labels.classes import ClassTable, Color, voc_palette
from segmodels.labels.export import ExportStep, encode_rgb_png
from segmodels.labels.outputs import ProtectedData, real
from segmodels.labels.project import Project

BACKGROUND = "background"
SUBSET = "default"


def check_cvat_classes(classes: ClassTable) -> None:
    """CVAT reads classes by name and colour: both must be writable and tell the classes apart."""
    names: dict[str, int] = {}
    colors: dict[Color, str] = {}
    for info in classes:
        problem = labelmap_problem(info.name)
        if problem is not None:
            raise SegError(f"Class {info.id} '{info.name}' cannot go into CVAT's {LABELMAP_FILE}: its name {problem}; "
                           "rename it first.")
        if info.name in names:
            raise SegError(f"Classes {names[info.name]} and {info.id} are both named '{info.name}'; CVAT matches "
                           "labels by name, so rename one first.")
        if info.color in colors:
            raise SegError(f"Classes '{colors[info.color]}' and '{info.name}' share the colour {info.color}; CVAT "
                           "reads classes by colour, so recolour one first.")
        names[info.name] = info.id
        colors[info.color] = info.name


def background_color(classes: ClassTable) -> tuple[Color, bool]:
    """(colour of unlabelled pixels, whether it is a class's own). The `background` class's colour,
    else black, else the first VOC palette colour no class uses."""
    for info in classes:
        if info.name == BACKGROUND:
            return info.color, True
    used = {info.color for info in classes}
    for candidate in voc_palette().tolist():
        if tuple(candidate) not in used:
            return tuple(candidate), False
    raise SegError("Every colour of the VOC palette is taken by a class; no colour is left for CVAT's background.")


class CvatExport:
    """One export: iterate `steps()` (one ExportStep per labelled image), then read `notes`."""

    def __init__(self, project: Project, out: str | os.PathLike[str], *, images: bool = True) -> None:
        out = Path(out)
        if out.suffix.lower() != ".zip":
            raise SegError(f"--out {describe(out)} must name a .zip file for --format cvat.", path=out)
        if out.is_dir():
            raise SegError(f"--out {describe(out)} is a folder; name a .zip file.", path=out)
        clash = ProtectedData.of_project(project).clash(real(out))
        if clash is not None:
            raise SegError(f"--out {describe(out)} is {clash}; nothing was written. Choose another path.", path=out)
        check_cvat_classes(project.classes)
        self.project = project
        self.out = out
        self.include_images = images
        self.images = project.labelled_images()
        self.background, self.background_is_class = background_color(project.classes)
        self.notes: list[str] = []

    def __len__(self) -> int:
        return len(self.images)

    def _colors(self) -> np.ndarray:
        lut = np.zeros((256, 3), dtype=np.uint8)
        lut[: len(self.project.classes)] = self.project.classes.colors()
        lut[IGNORE_INDEX] = self.background
        return lut

    def steps(self) -> Iterator[ExportStep]:
        lut = self._colors()
        ids: list[str] = []
        unlabelled = labels_with = 0
        total = len(self.images)
        # Written to a temporary file that replaces OUT.zip only when complete: stopping early
        # (cancel, an error) leaves any previous OUT.zip as it was; a killed export's temporary goes now.
        sweep_stale_temporaries([self.out.parent])
        with atomic_open(self.out, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            for index, image in enumerate(self.images, start=1):
                item = item_id(self.project, image)
                try:
                    self.project.refuse_stem_clash(image, self.out, "exported file")
                    label_map, _header = checked_label(self.project, image)
                    png = encode_rgb_png(np.take(lut, label_map, axis=0))  # 4x faster than lut[label_map]
                    data = read_regular_bytes(image, "image") if self.include_images else b""
                except SegError as exc:
                    yield ExportStep(index, total, image, None, str(exc))
                    continue
                count = int(np.count_nonzero(label_map == IGNORE_INDEX))
                unlabelled += count
                labels_with += count > 0
                archive.writestr(f"SegmentationClass/{item}.png", png)
                if self.include_images:
                    archive.writestr(f"{IMAGES_DIR}/{item}{image.suffix}", data)
                ids.append(item)
                yield ExportStep(index, total, image, self.out)
            archive.writestr(f"{SPLITS_DIR.as_posix()}/{SUBSET}.txt", "".join(f"{i}\n" for i in ids))
            entries = [(c.name, c.color) for c in self.project.classes]
            if unlabelled and not self.background_is_class:
                entries.append((BACKGROUND, self.background))
            archive.writestr(LABELMAP_FILE, format_labelmap(entries))
        if unlabelled:
            where = ("the 'background' class's colour" if self.background_is_class
                     else f"a '{BACKGROUND}' label added last to {LABELMAP_FILE}")
            self.notes.append(f"{unlabelled} unlabelled pixels in {labels_with} labels were written as {BACKGROUND} "
                              f"{self.background}, {where}: CVAT has no unlabelled value, unannotated pixels are "
                              "background there.")
