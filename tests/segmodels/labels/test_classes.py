"""Class tables: the VOC palette (all 256 entries), the VOC and Cityscapes presets, custom tables."""
from __future__ import annotations

import json

import numpy as np
import pytest

from segmodels.errors import SegError
from segmodels.labels.classes import (
    ClassInfo,
    ClassTable,
    cityscapes_classes,
    cityscapes_id_to_train_id,
    cityscapes_labels,
    load_class_table,
    voc_classes,
    voc_palette,
)


def _palette_by_formula(index: int) -> tuple[int, int, int]:
    """An independent derivation: bit j of channel c's value is bit (3 * (7 - j) + c) of the index."""
    channels = []
    for channel in range(3):
        value = 0
        for bit in range(8):
            source = 3 * bit + channel  # triple `bit` fills channel bit 7 - bit
            if source < 8 and (index >> source) & 1:
                value |= 1 << (7 - bit)
        channels.append(value)
    return tuple(channels)


def test_voc_palette_all_256_entries_match_the_devkit_rule():
    palette = voc_palette()
    assert palette.shape == (256, 3) and palette.dtype == np.uint8
    for index in range(256):
        assert tuple(int(v) for v in palette[index]) == _palette_by_formula(index), index


def test_voc_palette_known_anchors():
    palette = voc_palette()
    assert tuple(palette[0]) == (0, 0, 0)
    assert tuple(palette[1]) == (128, 0, 0)
    assert tuple(palette[2]) == (0, 128, 0)
    assert tuple(palette[3]) == (128, 128, 0)
    assert tuple(palette[4]) == (0, 0, 128)
    assert tuple(palette[15]) == (192, 128, 128)  # person
    assert tuple(palette[255]) == (224, 224, 192)  # void


def test_voc_palette_is_a_fresh_copy():
    voc_palette()[1] = (9, 9, 9)
    assert tuple(voc_palette()[1]) == (128, 0, 0)


def test_voc_classes():
    table = voc_classes()
    assert len(table) == 21
    assert table.names[0] == "background" and table.names[15] == "person" and table.names[20] == "tvmonitor"
    assert np.array_equal(table.colors(), voc_palette()[:21])
    assert np.array_equal(table.palette(), voc_palette())


def test_cityscapes_table_facts():
    labels = cityscapes_labels()
    assert [label.id for label in labels] == list(range(34))
    by_name = {label.name: label for label in labels}
    assert by_name["road"].color == (128, 64, 128) and by_name["road"].train_id == 0
    assert by_name["sidewalk"].color == (244, 35, 232) and by_name["sidewalk"].train_id == 1
    assert by_name["car"].color == (0, 0, 142) and by_name["car"].train_id == 13
    assert by_name["bicycle"].train_id == 18
    assert by_name["unlabeled"].train_id == 255 and by_name["parking"].train_id == 255
    table = cityscapes_classes()
    assert len(table) == 19
    assert table.names[0] == "road" and table.names[18] == "bicycle"
    assert table[13].color == (0, 0, 142)
    lut = cityscapes_id_to_train_id()
    assert lut[7] == 0 and lut[26] == 13 and lut[0] == 255 and lut[200] == 255
    assert sorted(set(lut[:34]) - {255}) == list(range(19))


def test_custom_table_json_round_trip_and_edits():
    table = ClassTable.from_json([{"id": 0, "name": "bg", "color": [1, 2, 3]}, {"name": "cell"}])
    assert table[1].color == tuple(voc_palette()[1])
    again = ClassTable.from_json(json.loads(json.dumps(table.to_json())))
    assert again == table
    grown = table.with_class("nucleus", (5, 6, 7)).renamed(1, "membrane").recolored(0, (9, 9, 9))
    assert grown.names == ["bg", "membrane", "nucleus"] and grown[0].color == (9, 9, 9)
    assert table.names == ["bg", "cell"]  # edits return new tables
    assert grown.id_of("nucleus") == 2
    assert tuple(grown.palette()[255]) == (224, 224, 192)


def test_from_names_accepts_a_numpy_colour_array():
    table = ClassTable.from_names(["a", "b"], np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8))
    assert table[1].color == (4, 5, 6)


@pytest.mark.parametrize("entries", [
    [{"id": 1, "name": "a"}],                      # ids must start at 0
    [{"id": 0, "name": "a", "color": [1, 2]}],     # colour needs three values
    [{"id": 0, "name": "a", "color": [0, 0, 300]}],
    [{"id": 0}],                                   # no name
    [],
])
def test_bad_tables_raise_one_sentence(entries):
    with pytest.raises(SegError):
        ClassTable.from_json(entries)


def test_unknown_class_name_is_a_seg_error():
    with pytest.raises(SegError, match="Unknown class"):
        voc_classes().id_of("unicorn")


def test_load_class_table_presets_and_files(tmp_path):
    assert load_class_table("VOC") is voc_classes()
    assert len(load_class_table("cityscapes")) == 19
    project_json = tmp_path / "my project" / "segstudio.json"
    project_json.parent.mkdir()
    project_json.write_text(json.dumps({"version": 1, "classes": [{"id": 0, "name": "fond"},
                                                                   {"id": 1, "name": "cellule"}]}))
    assert load_class_table(project_json).names == ["fond", "cellule"]
    listing = tmp_path / "classes.json"
    listing.write_text(json.dumps([{"name": "x"}, {"name": "y"}, {"name": "z"}]))
    assert len(load_class_table(listing)) == 3
    with pytest.raises(SegError, match="neither a preset"):
        load_class_table(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SegError, match="not valid JSON"):
        load_class_table(broken)


def test_class_info_json():
    assert ClassInfo(3, "cat", (1, 2, 3)).to_json() == {"id": 3, "name": "cat", "color": [1, 2, 3]}
