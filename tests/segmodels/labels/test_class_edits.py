"""Class edits as data (segmodels/labels/class_edits.py): the new table, the index lookup table and the
sentence for every edit, and the refusals."""
from __future__ import annotations

import numpy as np
import pytest

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.labels.class_edits import (
    delete_class,
    find_class,
    find_target,
    move_class,
    rename_class,
    replace_table,
    table_changes,
)
from segmodels.labels.classes import ClassTable, voc_classes

TABLE = ClassTable.from_names(["background", "cat", "dog", "bird"], [(0, 0, 0), (10, 0, 0), (0, 20, 0), (0, 0, 30)])


def test_delete_into_unlabelled_shifts_later_classes_down():
    edit = delete_class(TABLE, 1)
    assert edit.new.names == ["background", "dog", "bird"]
    assert [c.color for c in edit.new] == [(0, 0, 0), (0, 20, 0), (0, 0, 30)]  # colours move with their class
    assert list(edit.lut[:4]) == [0, IGNORE_INDEX, 1, 2]
    assert edit.lut[IGNORE_INDEX] == IGNORE_INDEX and edit.lut[7] == 7  # stray values keep theirs
    assert edit.origins == (0, 2, 3) and edit.remaps_pixels
    assert "'cat'" in edit.summary and "unlabelled" in edit.summary


def test_delete_into_another_class_takes_its_new_index():
    edit = delete_class(TABLE, 1, into=3)
    assert list(edit.lut[:4]) == [0, 2, 1, 2]
    assert "'bird'" in edit.summary


def test_deleting_the_last_class_moves_nothing_else():
    edit = delete_class(TABLE, 3, into=0)
    assert list(edit.lut[:4]) == [0, 1, 2, 0]
    assert "move down" not in edit.summary


@pytest.mark.parametrize("class_id, to_index, lut, names", [
    (3, 1, [0, 2, 3, 1], ["background", "bird", "cat", "dog"]),
    (0, 3, [3, 0, 1, 2], ["cat", "dog", "bird", "background"]),
    (2, 2, [0, 1, 2, 3], ["background", "cat", "dog", "bird"]),
])
def test_move_class(class_id, to_index, lut, names):
    edit = move_class(TABLE, class_id, to_index)
    assert list(edit.lut[:4]) == lut and edit.new.names == names
    assert edit.remaps_pixels == (class_id != to_index)
    for new_id, old_id in enumerate(edit.origins):
        assert edit.new[new_id].name == TABLE[old_id].name and edit.lut[old_id] == new_id


def test_rename_changes_no_index():
    edit = rename_class(TABLE, 2, "puppy")
    assert edit.new.names == ["background", "cat", "puppy", "bird"] and not edit.remaps_pixels


@pytest.mark.parametrize("make, words", [
    (lambda: delete_class(ClassTable.from_names(["only"]), 0), "only class"),
    (lambda: delete_class(TABLE, 1, into=1), "into itself"),
    (lambda: delete_class(TABLE, 9), "no class 9"),
    (lambda: move_class(TABLE, 1, 4), "index 4"),
    (lambda: rename_class(TABLE, 1, "dog"), "already a class named 'dog'"),
    (lambda: rename_class(TABLE, 1, "  "), "needs a name"),
    (lambda: find_class(TABLE, "cow"), "no class 'cow'"),
])
def test_refusals_are_one_sentence(make, words):
    with pytest.raises(SegError, match=words) as caught:
        make()
    assert "\n" not in str(caught.value)


def test_names_numbers_and_unlabelled_words():
    assert find_class(TABLE, "dog") == 2 and find_class(TABLE, "3") == 3
    assert find_target(TABLE, "Unlabelled") == IGNORE_INDEX and find_target(TABLE, "255") == IGNORE_INDEX
    assert find_target(TABLE, "bird") == 3


def test_table_changes_say_what_a_preset_would_change():
    changes = table_changes(TABLE, voc_classes())
    assert changes == ["index 1 'cat' becomes 'aeroplane'", "index 2 'dog' becomes 'bicycle'"]  # VOC's 3 is bird
    shrink = table_changes(TABLE, ClassTable.from_names(["background", "cat"]))
    assert shrink == ["pixels of 'dog', 'bird' would have no class (indices 2..3)"]
    assert table_changes(TABLE, TABLE) == []
    edit = replace_table(TABLE, voc_classes(), "the VOC preset")
    assert not edit.remaps_pixels and edit.new.names[1] == "aeroplane"


def test_luts_compose_with_numpy_indexing():
    label_map = np.array([[0, 1, 2, 3, 255]], np.uint8)
    assert delete_class(TABLE, 2, into=IGNORE_INDEX).lut[label_map].tolist() == [[0, 1, 255, 2, 255]]
