"""Recognising a dataset's root by its layout, so opening it "just works" (docs/formats.md).

`Project.open` on a folder without `segstudio.json` asks each detector in `DETECTORS`, in order; the
first that recognises the folder says where the images and labels are, which class table applies,
how the labels are stored, and one sentence (`origin`) telling the user what was recognised and why
those classes were chosen. Nothing is written: a dataset is worked on in place, in its own format.
A format module adds its detector to `DETECTORS` (one line here); it builds its `DatasetGuess` from
`segmodels.formats.guess`, never from here, since this module imports it.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from segmodels.formats.ade20k import detect_ade20k
from segmodels.formats.cityscapes import CITYSCAPES, IMAGES_FOLDER, LABELS_FOLDER, inspect_cityscapes
from segmodels.formats.guess import DatasetGuess
from segmodels.formats.mmseg import detect_mmseg
from segmodels.formats.voc import inspect_voc
from segmodels.labels.classes import cityscapes_classes

Detector = Callable[[Path], "DatasetGuess | None"]


def detect_voc(root: Path) -> DatasetGuess | None:
    """VOC devkit, labelme2voc and CVAT roots, with their own class list (segmodels/formats/voc.py)."""
    found = inspect_voc(root)
    if found is None:
        return None
    return DatasetGuess(found.layout, root / "JPEGImages", found.labels_dir, found.classes, found.encoding,
                        found.origin)


def detect_cityscapes(root: Path) -> DatasetGuess | None:
    """leftImg8bit/ + gtFine/: the 19 train classes, labels in the kind the files have (formats/cityscapes.py)."""
    found = inspect_cityscapes(root)
    if found is None:
        return None
    encoding, origin = found
    return DatasetGuess(CITYSCAPES, root / IMAGES_FOLDER, root / LABELS_FOLDER, cityscapes_classes(), encoding, origin)


#: Asked in order; the first match wins.
DETECTORS: list[Detector] = [detect_voc, detect_cityscapes, detect_ade20k, detect_mmseg]


def detect_dataset(root: Path) -> DatasetGuess | None:
    for detector in DETECTORS:
        guess = detector(root)
        if guess is not None:
            return guess
    return None
