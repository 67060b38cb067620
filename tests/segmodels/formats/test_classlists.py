"""Text class lists: labelme's class_names.txt, CVAT's labelmap.txt and plain name lists, read as the
tools write them and accepted wherever a class table is (`--classes FILE`)."""
from __future__ import annotations

import json

import pytest

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.formats.classlists import ListKind, format_labelmap, read_class_list
from segmodels.labels.classes import load_class_table, voc_palette


def test_labelme_class_names_index_by_line(tmp_path):
    path = tmp_path / "class_names.txt"
    path.write_text("_background_\nperson\ncar")  # labelme2voc: "\n".join, no trailing newline
    table = load_class_table(path)
    assert table.names == ["_background_", "person", "car"]
    assert table[1].name == "person"
    assert table[1].color == tuple(voc_palette()[1])  # labelme's lblsave palette is the VOC colour map


def test_labelme_input_list_skips_ignore(tmp_path):
    path = tmp_path / "labels.txt"  # labelme's own input list: __ignore__ is -1, not a class
    path.write_text("__ignore__\n_background_\nperson\n")
    found = read_class_list(path)
    assert found.kind is ListKind.LABELME
    assert found.names == ("_background_", "person")


def test_labelme_blank_line_inside_is_refused(tmp_path):
    path = tmp_path / "class_names.txt"
    path.write_text("_background_\n\nperson\n")
    with pytest.raises(SegError, match="empty line 2"):
        read_class_list(path)


def test_labelmap_names_and_colours(tmp_path):
    path = tmp_path / "labelmap.txt"
    path.write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:250,50,83::\ndog:51,221,255::\n")
    table = load_class_table(path)
    assert table.names == ["background", "cat", "dog"]
    assert table[1].color == (250, 50, 83)
    assert table[2].color == (51, 221, 255)


def test_labelmap_recognised_by_content_under_another_name(tmp_path):
    path = tmp_path / "my_colours.txt"
    path.write_text("background:0,0,0::\nroad:128,64,128::\n")
    assert read_class_list(path).kind is ListKind.LABELMAP
    assert load_class_table(path)[1].color == (128, 64, 128)


@pytest.mark.parametrize("line, words", [("cat:300,0,0::", "values 0..255"), ("cat:1,2::", "expected r,g,b"),
                                         (":1,2,3::", "no label name"), ("a:1,2,3:::x", "5 ':'-separated")])
def test_labelmap_bad_line_is_one_sentence(tmp_path, line, words):
    path = tmp_path / "labelmap.txt"
    path.write_text(f"background:0,0,0::\n{line}\n")
    with pytest.raises(SegError, match=words) as caught:
        read_class_list(path)
    assert "labelmap.txt" in str(caught.value) and "line 2" in str(caught.value)


def test_plain_list_with_comments(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("# my classes\nbackground\n\nbuilding  \n# trailing comment\nwater\n")
    table = load_class_table(path)
    assert table.names == ["background", "building", "water"]


def test_duplicate_name_refused(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("a\nb\na\n")
    with pytest.raises(SegError, match="names 'a' twice"):
        load_class_table(path)


def test_json_and_presets_still_work(tmp_path):
    path = tmp_path / "classes.json"
    path.write_text(json.dumps([{"id": 0, "name": "bg"}, {"id": 1, "name": "fg", "color": [1, 2, 3]}]))
    assert load_class_table(path).names == ["bg", "fg"]
    untyped = tmp_path / "classes"  # JSON without the suffix: still JSON by its first character
    untyped.write_text(json.dumps({"names": ["x", "y"]}))
    assert load_class_table(untyped).names == ["x", "y"]
    assert len(load_class_table("voc")) == 21


def test_labelmap_written_as_cvat_writes_it_reads_back(tmp_path):
    text = format_labelmap([("background", (0, 0, 0)), ("car", (1, 2, 3))])
    assert text == "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncar:1,2,3::\n"
    path = tmp_path / "labelmap.txt"
    path.write_text(text)
    assert load_class_table(path).names == ["background", "car"]
    with pytest.raises(SegError, match="contains ':'"):
        format_labelmap([("a:b", (0, 0, 0))])


def test_validate_accepts_a_text_class_list(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    names = tmp_path / "names.txt"
    names.write_text("background\nfg\n")
    label = tmp_path / "labels"
    label.mkdir()
    Image.fromarray(np.array([[0, 1], [2, 255]], np.uint8), mode="L").save(label / "a.png")
    assert main(["validate", str(label), "--classes", str(names)]) == 1
    assert "outside 0..1" in capsys.readouterr().out
