"""Recognising a dataset's root by its layout, so opening it "just works" (docs/formats.md).

`Project.open` on a folder without `segstudio.json` asks each detector in `DETECTORS`, in order; the
first that recognises the folder says where the images and labels are, which class table applies,
how the labels are stored, and one sentence (`origin`) telling the user what was recognised and why
those classes were chosen. Nothing is written: a dataset is worked on in place, in its own format.
A format module adds its detector to `DETECTORS` (one line here).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from segmodels.formats.cityscapes import CITYSCAPES, IMAGES_FOLDER, LABELS_FOLDER, inspect_cityscapes
from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.layouts import VOC, Layout
from segmodels.labels.classes import ClassTable, cityscapes_classes, voc_classes


@dataclass(frozen=True)
class DatasetGuess:
    layout: Layout
    images_dir: Path
    labels_dir: Path
    classes: ClassTable
    encoding: LabelEncoding
    origin: str          # one sentence: the layout recognised and where the class table came from


Detector = Callable[[Path], "DatasetGuess | None"]


def detect_voc(root: Path) -> DatasetGuess | None:
    if not ((root / "JPEGImages").is_dir() and (root / "SegmentationClass").is_dir()):
        return None
    return DatasetGuess(VOC, root / "JPEGImages", root / "SegmentationClass", voc_classes(), LabelEncoding.PALETTE,
                        "PASCAL VOC layout (JPEGImages/ + SegmentationClass/), the 21 VOC classes.")


def detect_cityscapes(root: Path) -> DatasetGuess | None:
    """leftImg8bit/ + gtFine/: the 19 train classes, labels in the kind the files have (formats/cityscapes.py)."""
    found = inspect_cityscapes(root)
    if found is None:
        return None
    encoding, origin = found
    return DatasetGuess(CITYSCAPES, root / IMAGES_FOLDER, root / LABELS_FOLDER, cityscapes_classes(), encoding, origin)


#: Asked in order; the first match wins.
DETECTORS: list[Detector] = [detect_voc, detect_cityscapes]


def detect_dataset(root: Path) -> DatasetGuess | None:
    for detector in DETECTORS:
        guess = detector(root)
        if guess is not None:
            return guess
    return None
