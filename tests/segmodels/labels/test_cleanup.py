"""Cleanup: planted holes and islands are filled and removed exactly; larger ones stay."""
from __future__ import annotations

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.cleanup import clean_labels


def planted():
    label_map = np.full((60, 60), IGNORE_INDEX, np.uint8)
    label_map[5:45, 5:45] = 1
    label_map[10:13, 10:13] = IGNORE_INDEX   # hole of 9 px
    label_map[20:30, 20:30] = IGNORE_INDEX   # hole of 100 px: too big
    label_map[35, 35] = 2                    # island of 2 inside 1
    label_map[50:52, 50:52] = 1              # island of 1 in unlabelled
    label_map[0:3, 55:60] = 3                # small, but touches the border: an island, not a hole
    return label_map


def test_whole_image_fills_small_holes_and_removes_small_islands():
    before = planted()
    result = clean_labels(before, 20)
    expected = before.copy()
    expected[10:13, 10:13] = 1
    expected[35, 35] = 1
    expected[50:52, 50:52] = IGNORE_INDEX
    expected[0:3, 55:60] = IGNORE_INDEX
    assert np.array_equal(result.label_map, expected)
    assert (result.holes, result.islands) == (1, 3)
    assert np.array_equal(before, planted())  # the input is untouched


def test_active_class_only_touches_that_class():
    result = clean_labels(planted(), 20, class_id=1)
    expected = planted()
    expected[10:13, 10:13] = 1      # hole in class 1
    expected[35, 35] = 1            # the class-2 speck is a hole in class 1
    expected[50:52, 50:52] = IGNORE_INDEX  # island of class 1
    assert np.array_equal(result.label_map, expected)  # the class-3 island stays
    assert (result.holes, result.islands) == (2, 1)


def test_options_and_threshold():
    before = planted()
    assert np.array_equal(clean_labels(before, 20, fill_holes=False).label_map[10:13, 10:13], before[10:13, 10:13])
    assert clean_labels(before, 20, remove_islands=False).label_map[35, 35] == 2
    assert clean_labels(before, 101).label_map[20:30, 20:30].min() == 1  # now small enough
    nothing = clean_labels(before, 1)
    assert np.array_equal(nothing.label_map, before)
    assert "nothing to clean up" in nothing.sentence("a.png")
