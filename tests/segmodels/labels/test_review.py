"""What may be saved as a reviewed label, and which model may propose labels for a project
(segmodels.labels.review): one sentence naming the file, the bad indices and the project's classes."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.classes import ClassTable
from segmodels.labels.review import class_mismatch, has_labelled_pixel, save_refusal, unknown_values

TWO = ClassTable.from_names(["background", "digit"])


def test_unknown_values_are_exact_and_ignore_255():
    label = np.array([[0, 1, 255], [2, 5, 5]], np.uint8)
    assert unknown_values(label, 2) == [2, 5]
    assert unknown_values(label, 6) == []
    assert unknown_values(np.full((3, 3), 255, np.uint8), 2) == []
    assert unknown_values(np.zeros((0, 0), np.uint8), 2) == []


def test_has_labelled_pixel():
    blank = np.full((4, 4), IGNORE_INDEX, np.uint8)
    assert not has_labelled_pixel(blank)
    blank[3, 3] = 0
    assert has_labelled_pixel(blank)


def test_save_refusal_names_the_file_the_indices_and_the_classes():
    image = Path("images/frame 7.png")
    eleven = np.array([[0, 2], [5, 1]], np.uint8)
    sentence = save_refusal(eleven, TWO, image)
    assert sentence is not None and "'images/frame 7.png'" in sentence and "\n" not in sentence
    assert "class indices 2 and 5" in sentence and "2 classes (0 background, 1 digit)" in sentence
    empty = save_refusal(np.full((2, 2), IGNORE_INDEX, np.uint8), TWO, image)
    assert empty is not None and "no labelled pixel" in empty and "frame 7.png" in empty
    assert save_refusal(np.array([[0, 255]], np.uint8), TWO, image) is None


def test_class_mismatch_by_name_and_order():
    checkpoint = Path("m.pt")
    assert class_mismatch(checkpoint, TWO, ClassTable.from_names(["background", "digit"])) is None
    swapped = class_mismatch(checkpoint, TWO, ClassTable.from_names(["digit", "background"]))
    assert swapped is not None and "another order" in swapped and "'m.pt'" in swapped
    renamed = class_mismatch(checkpoint, TWO, ClassTable.from_names(["background", "cat"]))
    assert renamed is not None and "another order" not in renamed and "background, cat" in renamed
