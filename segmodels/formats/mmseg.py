"""mmseg's custom dataset layout, worked on in place (docs/formats.md, "mmseg custom dataset").

    <root>/img_dir/train/x.jpg     <root>/ann_dir/train/x.png     grey PNG, value = class index
    <root>/img_dir/val/y.jpg       <root>/ann_dir/val/y.png       (img_suffix / seg_map_suffix, same stem)

mmseg keeps the class names in the dataset's Python config, not beside the data, so the class table
is read from a `classes.txt` at the root (one name per line, line k = class k) when there is one;
otherwise the classes are numbered from the label values found in a sample of the label files.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from segmodels.atomic import read_regular_bytes
from segmodels.constants import IGNORE_INDEX, MAX_CLASSES
from segmodels.errors import SegError, describe
from segmodels.formats.encodings import LabelEncoding, read_label_file
from segmodels.formats.guess import DatasetGuess
from segmodels.formats.layouts import Layout, register
from segmodels.labels.classes import ClassTable

MMSEG = register(Layout("mmseg", "mmseg custom dataset (img_dir/ + ann_dir/)", recursive=True))

CLASS_LIST_FILE = "classes.txt"
#: Label files read to number the classes when there is no class list: spread over the whole dataset,
#: so opening a 20k-image dataset costs well under a second. A value only in unread files is reported
#: by `segstudio validate` as outside the table, which names where the table came from.
VALUE_SAMPLE = 64


def read_class_names(path: Path) -> list[str]:
    """One class name per line (blank lines skipped), line k naming class k; SegError naming the file."""
    text = read_regular_bytes(path, "class list").decode("utf-8", errors="replace").lstrip("\ufeff")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise SegError(f"Class list {describe(path)} names no classes.", path=path)
    if len(names) > MAX_CLASSES:
        raise SegError(f"Class list {describe(path)} names {len(names)} classes; a label holds at most "
                       f"{MAX_CLASSES}.", path=path)
    return names


def label_files(labels_dir: Path) -> list[Path]:
    """Every .png under `labels_dir`, sub-folders included, sorted by relative path."""
    found = []
    for folder, dirs, files in os.walk(labels_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder) / name for name in files
                  if name.lower().endswith(".png") and not name.startswith(".")]
    return sorted(found, key=lambda p: p.relative_to(labels_dir).as_posix().lower())


def values_found(files: list[Path], sample: int = VALUE_SAMPLE) -> tuple[int, int]:
    """(highest class value found, files read) in up to `sample` of `files`, evenly spread; -1 when none
    holds a class value. Files that cannot be read as index labels are skipped (validation names them)."""
    if len(files) > sample:
        files = [files[round(i * (len(files) - 1) / (sample - 1))] for i in range(sample)]
    highest, read = -1, 0
    any_table = ClassTable.from_names(["any"])  # grey values are read as they are; the table is not consulted
    for path in files:
        try:
            values = read_label_file(path, any_table, LabelEncoding.GREY)
        except SegError:
            continue
        read += 1
        present = np.flatnonzero(np.bincount(values.reshape(-1), minlength=256)[:IGNORE_INDEX])
        if present.size:
            highest = max(highest, int(present[-1]))
    return highest, read


def detect_mmseg(root: Path) -> DatasetGuess | None:
    """An mmseg custom dataset root: img_dir/ + ann_dir/."""
    images, annotations = root / "img_dir", root / "ann_dir"
    if not (images.is_dir() and annotations.is_dir()):
        return None
    where = "mmseg custom dataset layout (img_dir/ + ann_dir/, split folders included), grey labels"
    class_list = root / CLASS_LIST_FILE
    if class_list.is_file():
        names = read_class_names(class_list)
        origin = f"{where}; {len(names)} classes named by {CLASS_LIST_FILE}."
    else:
        files = label_files(annotations)
        highest, read = values_found(files)
        count = max(highest + 1, 2)
        names = [f"class {k}" for k in range(count)]
        seen = f"values 0..{highest}" if highest >= 0 else "no class values"
        origin = (f"{where}; {count} classes named 'class 0'..'class {count - 1}' from the {seen} found in "
                  f"{read} of {len(files)} label files, because there is no {CLASS_LIST_FILE} at the root.")
    return DatasetGuess(MMSEG, images, annotations, ClassTable.from_names(names), LabelEncoding.GREY, origin)
