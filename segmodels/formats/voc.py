"""PASCAL VOC-style roots as their tools make them: the VOC devkit, labelme2voc and CVAT's
"Segmentation mask 1.1" (docs/formats.md, "VOC, labelme and CVAT").

What a root is read as:
- labels: `SegmentationClass/`, else `SegmentationClassAug/` (the SBD-augmented set), else
  `SegmentationClassPNG/` (older labelme2voc, whose `SegmentationClass/` held only .npy files);
- classes: the root's own `labelmap.txt` (CVAT/datumaro: names and colours), else `class_names.txt`
  (labelme: names; colours from the label PNGs' palette), else the 21 VOC classes;
- encoding of new labels: that of the existing ones (CVAT writes RGB colour PNGs, VOC and labelme
  palette PNGs, SegmentationClassAug grey PNGs);
- splits: `ImageSets/Segmentation/<name>.txt`, one image id a line (`voc_splits`);
- layout: `voc`, or `voc-nested` when images or labels sit in sub-folders (datumaro writes an item
  id with '/' as `JPEGImages/<dir>/<name>.jpg` and `SegmentationClass/<dir>/<name>.png`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segmodels.atomic import read_regular_bytes
from segmodels.errors import SegError, describe
from segmodels.formats.classlists import LABELMAP_FILE, ListKind, find_class_list, kind_of
from segmodels.formats.encodings import LabelEncoding, detect_encoding
from segmodels.formats.layouts import VOC, Layout, register
from segmodels.labels.classes import ClassTable, load_class_table, voc_classes
from segmodels.labels.labelio import read_label_palette

IMAGES_DIR = "JPEGImages"
#: Label folders in the order they are looked for.
LABEL_DIRS = ("SegmentationClass", "SegmentationClassAug", "SegmentationClassPNG")
SPLITS_DIR = Path("ImageSets") / "Segmentation"
#: A split list longer than this is not a VOC split list.
MAX_SPLIT_BYTES = 64 * 1024 * 1024
VOC_NESTED = register(Layout("voc-nested", "PASCAL VOC with sub-folders (JPEGImages/<dir>/ + SegmentationClass/<dir>/)",
                             recursive=True))
VOC_LAYOUTS = (VOC.name, VOC_NESTED.name)


@dataclass(frozen=True)
class VocRoot:
    layout: Layout
    labels_dir: Path
    classes: ClassTable
    encoding: LabelEncoding
    origin: str


def _first_png(folder: Path) -> Path | None:
    """The first .png in `folder` by name (what every tool names its labels), or None."""
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name.lower().endswith(".png") and not e.name.startswith(".")]
    except OSError:
        return None
    return folder / min(names, key=str.lower) if names else None


def _has_subfolders(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(not e.name.startswith(".") and e.is_dir() for e in entries)
    except OSError:
        return False


def voc_label_folder(root: Path) -> Path | None:
    present = [root / name for name in LABEL_DIRS if (root / name).is_dir()]
    if not present:
        return None
    first = present[0]
    if first.name == "SegmentationClass" and _first_png(first) is None and (root / "SegmentationClassPNG").is_dir():
        return root / "SegmentationClassPNG"  # labelme2voc before 4.x: .npy in SegmentationClass
    return first


def inspect_voc(root: Path) -> VocRoot | None:
    """What a VOC-style root holds, or None when `root` is not one. A class list the root carries
    that cannot be read is a SegError: falling back to VOC's classes would change what labels mean."""
    labels_dir = voc_label_folder(root)
    has_images = (root / IMAGES_DIR).is_dir()
    if labels_dir is None or not (has_images or (root / LABELMAP_FILE).is_file()):
        return None
    first = _first_png(labels_dir)
    classes, source = voc_class_table(root, first)
    encoding = _encoding(first, LabelEncoding.COLOR if (root / LABELMAP_FILE).is_file() else None)
    nested = _has_subfolders(root / IMAGES_DIR) or _has_subfolders(labels_dir)
    where = f"{IMAGES_DIR}/ + {labels_dir.name}/" + (", with sub-folders" if nested else "")
    parts = [f"PASCAL VOC layout ({where})", source, f"{encoding.value} labels"]
    splits = voc_splits(root)
    if splits:
        parts.append("splits " + ", ".join(f"{name} {len(ids)}" for name, ids in splits.items())
                     + f" ({SPLITS_DIR.as_posix()})")
    if not has_images:
        parts.append(f"no {IMAGES_DIR}/ yet: put the images there, named by the label files")
    return VocRoot(VOC_NESTED if nested else VOC, labels_dir, classes, encoding, ", ".join(parts) + ".")


def voc_class_table(root: Path, first_label: Path | None) -> tuple[ClassTable, str]:
    """(table, the words saying where it came from) for a VOC-style root."""
    class_file = find_class_list(root)
    if class_file is None:
        return voc_classes(), f"the 21 VOC classes (no {LABELMAP_FILE} or class_names.txt)"
    table = load_class_table(class_file)
    kind = kind_of(class_file, [])
    words = {ListKind.LABELMAP: "names and colours", ListKind.LABELME: "labelme names"}.get(kind, "names")
    source = f"{class_file.name}: {len(table)} classes ({words})"
    if kind is not ListKind.LABELMAP and first_label is not None:
        colored = _palette_colors(table, first_label)
        if colored is not table:
            table, source = colored, source + ", colours from the label PNGs' palette"
    return table, source


def _palette_colors(table: ClassTable, label: Path) -> ClassTable:
    """`table` with the colours a palette label PNG stores for its classes (labelme writes its own
    colour map), when they tell the classes apart; else `table` unchanged."""
    try:
        palette = read_label_palette(label)
    except SegError:
        return table
    if palette is None:
        return table
    colors = palette[: len(table)]
    if len({tuple(int(v) for v in c) for c in colors}) < len(table) or np.array_equal(colors, table.colors()):
        return table
    return ClassTable.from_names(table.names, [tuple(int(v) for v in c) for c in colors])


def _encoding(first_label: Path | None, default: LabelEncoding | None) -> LabelEncoding:
    if first_label is not None:
        try:
            return detect_encoding(first_label)
        except SegError:
            pass  # an unreadable first label: validation names it; new labels use the default
    return default or LabelEncoding.PALETTE


def voc_splits(root: str | os.PathLike[str]) -> dict[str, list[str]]:
    """{split name: image ids} from `ImageSets/Segmentation/*.txt` ('train', 'val', 'trainval', ...),
    ids in file order; {} when there are none. A list that cannot be read is a SegError naming it."""
    folder = Path(root) / SPLITS_DIR
    if not folder.is_dir():
        return {}
    splits: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.txt"), key=lambda p: p.name.lower()):
        if "_" in path.stem:  # `<class>_<split>.txt` lists belong to classification, not segmentation
            continue
        if path.stat().st_size > MAX_SPLIT_BYTES:
            raise SegError(f"Split list {describe(path)} is larger than {MAX_SPLIT_BYTES >> 20} MiB; "
                           "it is not a list of image ids.", path=path)
        try:
            text = read_regular_bytes(path, "split list").decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SegError(f"Split list {describe(path)} is not UTF-8 text.", path=path) from None
        except OSError as exc:
            raise SegError(f"Cannot read split list {describe(path)}: {exc.strerror or exc}.", path=path) from exc
        splits[path.stem] = [line.split()[0] for line in text.splitlines() if line.strip()]
    return splits


def labelme_npy_twins(labels_dir: Path, label: Path) -> list[Path]:
    """The .npy copies labelme2voc wrote of `label` (int32 class ids, -1 = unlabelled):
    `SegmentationClassNpy/<base>.npy` beside `SegmentationClass/`, and `SegmentationClass/<base>.npy`
    beside the older `SegmentationClassPNG/`. Saving a label rewrites them too, or the dataset would hold
    two different answers for one image (docs/formats.md, "VOC, labelme and CVAT")."""
    root = labels_dir.parent
    folders = [root / "SegmentationClassNpy"]
    if labels_dir.name == "SegmentationClassPNG":
        folders.append(root / "SegmentationClass")
    relative = label.relative_to(labels_dir).with_suffix(".npy")
    return [folder / relative for folder in folders if (folder / relative).is_file()]
