"""256-entry lookup tables (segmodels/formats/lut.py): exactly `table[values]` for every byte value,
in place or not, and the Cityscapes id tables: every id no train class has (and every byte above the
last id) reads as 255, and train ids go back to the lowest label id that has them."""
from __future__ import annotations

import numpy as np
import pytest

from segmodels.constants import IGNORE_INDEX
from segmodels.formats.lut import (
    apply_lut,
    label_id_to_train_id_table,
    label_ids_to_train_ids,
    present_values,
    train_ids_to_label_ids,
)
from segmodels.labels.classes import cityscapes_labels

EVERY_BYTE = np.arange(256, dtype=np.uint8).reshape(16, 16)


def test_label_ids_map_to_train_ids_and_every_other_byte_to_255():
    train = label_ids_to_train_ids(EVERY_BYTE)
    expected = np.full(256, IGNORE_INDEX, np.uint8)
    for label in cityscapes_labels():
        if 0 <= label.id < 256:
            expected[label.id] = label.train_id
    assert np.array_equal(train.reshape(-1), expected)
    assert (train.reshape(-1)[34:] == IGNORE_INDEX).all()  # ids beyond 'bicycle' (33): in no table
    assert set(np.unique(train).tolist()) == set(range(19)) | {IGNORE_INDEX}


def test_train_ids_go_back_to_the_lowest_label_id_and_read_as_themselves():
    ids = train_ids_to_label_ids(EVERY_BYTE)
    for train_id in range(19):
        lowest = min(label.id for label in cityscapes_labels() if label.train_id == train_id)
        assert ids.reshape(-1)[train_id] == lowest
    assert ids.reshape(-1)[IGNORE_INDEX] == 0  # unlabelled -> 'unlabeled'
    assert np.array_equal(label_ids_to_train_ids(ids).reshape(-1)[:19], np.arange(19))


@pytest.mark.parametrize("layout", ["contiguous", "strided", "3-d"])
def test_apply_lut_is_fancy_indexing_in_place_or_not(layout):
    rng = np.random.default_rng(1)
    table = rng.integers(0, 256, 256).astype(np.uint8)
    values = rng.integers(0, 256, (37, 53, 2) if layout == "3-d" else (37, 53)).astype(np.uint8)
    if layout == "strided":
        values = values[:, ::2]
    expected = table[values]
    assert np.array_equal(apply_lut(table, values), expected)
    own = values.copy()
    assert np.array_equal(apply_lut(table, own, out=own), expected) and np.array_equal(own, expected)


def test_colour_tables_give_one_colour_per_pixel():
    colours = np.arange(256 * 3, dtype=np.uint32).reshape(256, 3).astype(np.uint8)
    assert np.array_equal(apply_lut(colours, EVERY_BYTE), colours[EVERY_BYTE])


def test_tables_are_read_only_and_bad_input_is_refused():
    with pytest.raises(ValueError):
        label_id_to_train_id_table()[0] = 1
    with pytest.raises(ValueError, match="uint8"):
        apply_lut(label_id_to_train_id_table(), EVERY_BYTE.astype(np.int16))
    with pytest.raises(ValueError, match="256-entry"):
        apply_lut(np.zeros(10, np.uint8), EVERY_BYTE)
    assert apply_lut(label_id_to_train_id_table(), np.zeros((0, 5), np.uint8)).shape == (0, 5)


def test_present_values_are_np_unique():
    values = np.random.default_rng(2).choice([0, 3, 7, 255], (64, 64)).astype(np.uint8)
    assert np.array_equal(present_values(values), np.unique(values))
    assert present_values(values).dtype == np.uint8
