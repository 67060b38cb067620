"""ADE20K SceneParsing (ADEChallengeData2016), worked on in place (docs/formats.md, "ADE20K").

    ADEChallengeData2016/images/training/ADE_train_00000001.jpg
    ADEChallengeData2016/annotations/training/ADE_train_00000001.png    grey, 0..150
    ADEChallengeData2016/objectInfo150.csv                              Idx, Ratio, Train, Val, Name

Annotation value 0 is "other objects", which the challenge does not score (mmseg's reduce_zero_label
turns it into 255 when training). segstudio keeps the values as they are on disk: class 0 is "other",
class k is objectInfo150's Idx k, so a saved label holds exactly the values the dataset's tools expect.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from segmodels.atomic import read_regular_bytes
from segmodels.constants import MAX_CLASSES
from segmodels.errors import SegError, describe
from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.guess import DatasetGuess
from segmodels.formats.layouts import Layout, register
from segmodels.labels.classes import ClassTable, ade20k_colors

ADE20K = register(Layout("ade20k", "ADE20K SceneParsing (images/ + annotations/)", recursive=True))

#: The class list files of the challenge download and its devkit (same columns; the devkit's is tab-separated).
OBJECT_INFO_FILES = ("objectInfo150.csv", "objectInfo150.txt")
ADE_CLASSES = 150   # the challenge's class count (values 1..150; 0 = "other")
OTHER = "other"
#: How many entries of a folder are looked at for an ADE_ name (every ADE image is named so).
NAME_PROBE = 20


def read_object_info(path: Path) -> list[str]:
    """The class names of an objectInfo150 file in Idx order (Idx 1 first); SegError naming the file.

    The Name column lists synonyms ("building, edifice"); the first is the class name, as in mmseg's
    ADE20KDataset. A name whose first synonym another class shares keeps its full text."""
    text = read_regular_bytes(path, "class list").decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines:
        raise SegError(f"Class list {describe(path)} is empty.", path=path)
    delimiter = "\t" if "\t" in lines[0] else ","  # the devkit's file is tab-separated, others comma-separated
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [cell.strip().lower() for cell in rows[0]]
    if "idx" not in header or "name" not in header:
        raise SegError(f"Class list {describe(path)} has no Idx and Name columns (its first line is "
                       f"{lines[0][:60]!r}).", path=path)
    idx_column, name_column = header.index("idx"), header.index("name")
    full: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            idx, name = int(row[idx_column].strip()), row[name_column].strip()
        except (IndexError, ValueError):
            raise SegError(f"Class list {describe(path)}, line {number}: no class number in column Idx or no "
                           "Name.", path=path) from None
        if idx != len(full) + 1 or not name:
            raise SegError(f"Class list {describe(path)}, line {number}: Idx {idx} where {len(full) + 1} was "
                           "expected (classes must be numbered 1, 2, ... in order).", path=path)
        full.append(name)
    if not full:
        raise SegError(f"Class list {describe(path)} names no classes.", path=path)
    if len(full) + 1 > MAX_CLASSES:  # class 0 "other" comes first
        raise SegError(f"Class list {describe(path)} names {len(full)} classes; with 'other' a label holds at "
                       f"most {MAX_CLASSES - 1}.", path=path)
    short = [name.replace(";", ",").split(",")[0].strip() for name in full]
    return [s if short.count(s) == 1 else f for s, f in zip(short, full, strict=True)]


def ade20k_classes(names: list[str]) -> ClassTable:
    """Class 0 "other", then the named classes at their annotation values, in ADE20K's colours
    (`ade20k_colors`; ADE labels are grey, so colours are for display and colour-coded exports)."""
    return ClassTable.from_names([OTHER, *names], colors=ade20k_colors(len(names) + 1))


def _has_ade_names(images: Path) -> bool:
    """Whether images/ or one of its split folders holds an ADE_* image (a few entries looked at each)."""
    folders = [images]
    try:
        with os.scandir(images) as entries:
            folders += sorted(Path(e.path) for e in entries if e.is_dir() and not e.name.startswith("."))
        for folder in folders:
            with os.scandir(folder) as entries:
                for count, entry in enumerate(entries):
                    if entry.name.startswith("ADE_"):
                        return True
                    if count >= NAME_PROBE:
                        break
    except OSError:
        return False
    return False


def detect_ade20k(root: Path) -> DatasetGuess | None:
    """An ADEChallengeData2016 root: images/ + annotations/, with objectInfo150.csv or ADE_* images."""
    images, annotations = root / "images", root / "annotations"
    if not (images.is_dir() and annotations.is_dir()):
        return None
    info = next((root / name for name in OBJECT_INFO_FILES if (root / name).is_file()), None)
    if info is None and not _has_ade_names(images):
        return None
    where = "ADE20K SceneParsing layout (images/ + annotations/, split folders included), grey labels"
    if info is not None:
        names = read_object_info(info)
        origin = f"{where}; class 0 'other' + {len(names)} classes named by {info.name}."
    else:
        names = [f"class {k}" for k in range(1, ADE_CLASSES + 1)]
        origin = (f"{where}; class 0 'other' + ADE's {ADE_CLASSES} classes, named 'class 1'..'class "
                  f"{ADE_CLASSES}' because there is no {OBJECT_INFO_FILES[0]} beside images/.")
    return DatasetGuess(ADE20K, images, annotations, ade20k_classes(names), LabelEncoding.GREY, origin)
