"""`segstudio export PROJECT --layout voc --out OUT`: a PASCAL VOC tree that
`torchvision.datasets.VOCSegmentation(OUT, year="2012", image_set="train")` loads as it is
(docs/formats.md, "VOC, labelme and CVAT").

    OUT/VOCdevkit/VOC2012/JPEGImages/<id>.jpg
    OUT/VOCdevkit/VOC2012/SegmentationClass/<id>.png      palette PNG (or grey with --format index)
    OUT/VOCdevkit/VOC2012/ImageSets/Segmentation/{train,val,trainval}.txt
    OUT/VOCdevkit/VOC2012/labelmap.txt                    the class table, so the tree reopens with it

VOCSegmentation opens `JPEGImages/<id>.jpg` and nothing else, so JPEG files are copied byte for byte
and any other image is re-encoded as JPEG (said in one sentence). Unlabelled pixels stay 255, VOC's
void value. The split is the project's own `ImageSets/Segmentation` train/val when it is a VOC root
with one, else the seeded draw training uses (segmodels/formats/splits.py).
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.atomic import DurableBatch, atomic_write_bytes, atomic_write_text, open_regular, read_regular_bytes
from segmodels.errors import SegError, describe
from segmodels.formats.classlists import LABELMAP_FILE, LABELME_FILE, format_labelmap, labelmap_problem
from segmodels.formats.splits import dataset_split, seeded_split
from segmodels.formats.voc import IMAGES_DIR, SPLITS_DIR, VOC_LAYOUTS
from segmodels.labels.export import ExportStep, encode_grey_png
from segmodels.labels.imageio import ImageHeader, read_header, read_image, upright_note
from segmodels.labels.labelio import encode_label_png
from segmodels.labels.outputs import ProtectedData, check_output_folder, real
from segmodels.labels.project import Project

YEAR = "2012"
JPEG_QUALITY = 95
#: The split drawn when the project has none of its own: what `segstudio train` draws by default.
VAL_FRACTION, SEED = 0.1, 0


def item_id(project: Project, image: Path) -> str:
    """An image's id in VOC lists and file names: its stem, with sub-folders for nested layouts."""
    return project.layout.relative_stem(project.images_dir, image).as_posix()


JPEG_START = b"\xff\xd8\xff"  # the JPEG start-of-image marker


def is_jpeg(path: Path) -> bool:
    """By its bytes (the JPEG start-of-image marker), not its name."""
    with open_regular(path, "image") as handle:
        try:
            return handle.read(3) == JPEG_START
        except OSError as exc:
            raise SegError(f"Image {describe(path)} cannot be read ({exc.strerror or exc}).", path=path) from None


def checked_label(project: Project, image: Path) -> tuple[np.ndarray, ImageHeader]:
    """(label map, image header) of a labelled image whose label has its image's size; else SegError."""
    label_map = project.read_label(image)
    if label_map is None:
        raise SegError(f"{describe(image)} has no label.", path=image)
    header = read_header(image)
    if (header.height, header.width) != label_map.shape:
        raise SegError(f"Label {describe(project.label_path(image))} is {label_map.shape[1]}x{label_map.shape[0]} "
                       f"but its image is {header.width}x{header.height}{upright_note(header.orientation)}.",
                       path=image)
    return label_map, header


def refuse_protected(project: Project, folders: list[Path], option: str = "--out") -> None:
    """An export tree must not land on the project's own data (a VOC root opened at OUT/VOCdevkit/VOC2012)."""
    protected = ProtectedData.of_project(project)
    for folder in folders:
        clash = protected.clash(real(folder))
        if clash is not None:
            raise SegError(f"{option} would write into {describe(folder)}, which is {clash}; nothing was written. "
                           "Choose another folder.", path=folder)


class VocExport:
    """One export: iterate `steps()` (one ExportStep per labelled image), then read `notes`."""

    def __init__(self, project: Project, out: str | os.PathLike[str], *, index_png: bool = False,
                 year: str = YEAR) -> None:
        out = check_output_folder(out, ProtectedData.of_project(project), "--out")
        self.project = project
        self.out = Path(out)
        self.root = self.out / "VOCdevkit" / f"VOC{year}"
        self.year = year
        self.index_png = index_png
        refuse_protected(project, [self.root / IMAGES_DIR, self.root / "SegmentationClass", self.root / SPLITS_DIR])
        self.images = project.labelled_images()
        self.notes: list[str] = []

    def __len__(self) -> int:
        return len(self.images)

    def steps(self) -> Iterator[ExportStep]:
        with DurableBatch() as batch:  # synced once per batch of files, each renamed into place once synced
            yield from self._steps(batch)

    def _steps(self, batch: DurableBatch) -> Iterator[ExportStep]:
        written: list[str] = []
        reencoded: dict[str, int] = {}
        rotated = 0
        total = len(self.images)
        for index, image in enumerate(self.images, start=1):
            item = item_id(self.project, image)
            target = self.root / "SegmentationClass" / f"{item}.png"
            batch.commit_if_due()
            try:
                self.project.refuse_stem_clash(image, target, "exported file")
                label_map, header = checked_label(self.project, image)
                data = read_regular_bytes(image, "image")  # read once: copied as it is when it is a JPEG
                if header.orientation != 1 and data.startswith(JPEG_START):
                    rotated += 1
                label_bytes = encode_grey_png(label_map) if self.index_png else encode_label_png(
                    label_map, self.project.classes)
                with batch.active():
                    fmt = self._write_image(image, data, self.root / IMAGES_DIR / f"{item}.jpg")
                    atomic_write_bytes(target, label_bytes)
                if fmt is not None:
                    reencoded[fmt] = reencoded.get(fmt, 0) + 1
            except SegError as exc:
                yield ExportStep(index, total, image, None, str(exc))
                continue
            written.append(item)
            yield ExportStep(index, total, image, target)
        with batch.active():
            self._finish(written, reencoded, rotated)

    @staticmethod
    def _write_image(image: Path, data: bytes, target: Path) -> str | None:
        """Copy a JPEG (`data`, the image's bytes) byte for byte; re-encode anything else as JPEG
        (upright, as its label is) and return its format's name."""
        if data.startswith(JPEG_START):
            atomic_write_bytes(target, data)
            return None
        rgb = read_image(image).rgb
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=JPEG_QUALITY)
        atomic_write_bytes(target, buffer.getvalue())
        return image.suffix.lstrip(".").upper() or "other"

    def _finish(self, written: list[str], reencoded: dict[str, int], rotated: int) -> None:
        if not written:
            return
        own = dataset_split(self.project.root, written) if self.project.layout.name in VOC_LAYOUTS else None
        if own is not None:
            train, val, note = own
            unlisted = sorted(set(written) - set(train) - set(val))
            train = train + unlisted  # exported, so listed: a label missing from the lists goes to train
            self.notes.append(f"Kept the {note}" + (f"; {len(unlisted)} unlisted labelled images added to train"
                                                     if unlisted else "") + ".")
        else:
            train, val = seeded_split(written, VAL_FRACTION, SEED)
            self.notes.append(f"Split drawn with seed {SEED}: {len(train)} train, {len(val)} val "
                              "(the project has no ImageSets/Segmentation train list).")
        lists = {"train": train, "val": val, "trainval": sorted(set(train) | set(val))}
        for name, ids in lists.items():
            atomic_write_text(self.root / SPLITS_DIR / f"{name}.txt", "".join(f"{i}\n" for i in ids))
        self._write_class_list()
        if reencoded:
            kinds = ", ".join(f"{count} {fmt}" for fmt, count in sorted(reencoded.items()))
            self.notes.append(f"{sum(reencoded.values())} images were not JPEG ({kinds}); VOCSegmentation opens "
                              f"{IMAGES_DIR}/<id>.jpg only, so they were re-encoded as JPEG (quality {JPEG_QUALITY}, "
                              "lossy; labels unchanged).")
        if rotated:
            self.notes.append(f"{rotated} JPEG images carry an EXIF rotation, copied as they are; VOCSegmentation "
                              "does not apply it, so turn those images upright before training on the tree.")
        self.notes.append(f"Load it with torchvision.datasets.VOCSegmentation('{self.out}', year='{self.year}', "
                          "image_set='train'); open it in segstudio at "
                          f"'{self.root}'.")

    def _write_class_list(self) -> None:
        classes = self.project.classes
        if all(labelmap_problem(name) is None for name in classes.names):
            atomic_write_text(self.root / LABELMAP_FILE, format_labelmap([(c.name, c.color) for c in classes]))
        else:  # labelme's list holds any name but no colours: still better than VOC's 21 on reopening
            atomic_write_text(self.root / LABELME_FILE, "\n".join(classes.names))
            self.notes.append(f"A class name cannot be written to {LABELMAP_FILE}, so the class names went to "
                              f"{LABELME_FILE} (without colours).")
