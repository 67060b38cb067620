"""ADE20K SceneParsing roots open in place: layout, classes from objectInfo150.csv with 0 = "other",
grey labels read as they are on disk and written back byte-identical where untouched."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError
from segmodels.formats.ade20k import ADE20K, read_object_info
from segmodels.formats.encodings import LabelEncoding
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project, ProjectKind
from support.splits_datasets import ade_names, make_ade20k, write_object_info


def test_ade_root_opens_with_its_own_classes_and_grey_labels(tmp_path):
    labels = make_ade20k(tmp_path)
    root = tmp_path / "ADEChallengeData2016"
    project = Project.open(root)
    assert project.layout is ADE20K and project.kind is ProjectKind.VOC
    assert project.label_encoding is LabelEncoding.GREY
    assert len(project.classes) == 151
    assert project.classes.names[:4] == ["other", "wall", "building", "sky"]  # first synonym, as mmseg names them
    assert project.classes.names[150] == "object150"
    assert "ADE20K" in project.origin and "objectInfo150.csv" in project.origin and "'other'" in project.origin
    assert [p.relative_to(root).as_posix() for p in project.image_paths()] == [
        "images/training/ADE_train_00000001.jpg", "images/training/ADE_train_00000002.jpg",
        "images/validation/ADE_val_00000001.jpg", "images/validation/ADE_val_00000002.jpg"]
    for image in project.image_paths():
        label = project.label_path(image)
        assert label.relative_to(root).parts[:2] == ("annotations", image.parent.name)
        np.testing.assert_array_equal(project.read_label(image), labels[label])  # 0 stays class 0 "other"
    assert not (root / "segstudio.json").exists()  # opening writes nothing


def test_edit_save_keeps_grey_and_every_untouched_pixel(tmp_path):
    labels = make_ade20k(tmp_path)
    project = Project.open(tmp_path / "ADEChallengeData2016")
    image = project.image_paths()[2]  # a validation image
    label_file = project.label_path(image)
    before = label_file.read_bytes()
    edited = project.read_label(image).copy()
    edited[2:6, 3:9] = 17
    assert project.write_label(image, edited) == label_file
    with Image.open(label_file) as stored:
        assert stored.mode == "L"  # never turned into a palette PNG
        values = np.array(stored)
    expected = labels[label_file].copy()
    expected[2:6, 3:9] = 17
    np.testing.assert_array_equal(values, expected)
    assert label_file.read_bytes() != before
    assert not (tmp_path / "ADEChallengeData2016" / "segstudio.json").exists()


def test_a_new_label_goes_into_its_split_as_grey(tmp_path):
    make_ade20k(tmp_path)
    root = tmp_path / "ADEChallengeData2016"
    project = Project.open(root)
    image = project.image_paths()[0]
    project.label_path(image).unlink()
    new = np.full((24, 32), 150, np.uint8)
    path = project.write_label(image, new)
    assert path == root / "annotations" / "training" / "ADE_train_00000001.png"
    with Image.open(path) as stored:
        assert stored.mode == "L" and np.array_equal(np.array(stored), new)


def test_palette_export_keeps_the_indices(tmp_path):
    from segmodels.labels.export import iter_export

    labels = make_ade20k(tmp_path)
    project = Project.open(tmp_path / "ADEChallengeData2016")
    steps = list(iter_export(project, tmp_path / "out", "palette"))
    assert [s.error for s in steps] == [None] * 4
    for image in project.image_paths():
        exported = read_label_png(tmp_path / "out" / f"{image.stem}.png")
        np.testing.assert_array_equal(exported, labels[project.label_path(image)])


def test_saved_project_file_keeps_layout_and_encoding(tmp_path):
    make_ade20k(tmp_path)
    root = tmp_path / "ADEChallengeData2016"
    project = Project.open(root)
    project.with_classes(project.classes.renamed(1, "walls")).save()
    data = json.loads((root / "segstudio.json").read_text())
    assert (data["layout"], data["label_encoding"], data["labels"]) == ("ade20k", "grey", "annotations")
    reopened = Project.open(root)
    assert reopened.layout is ADE20K and reopened.classes.names[1] == "walls" and len(reopened.classes) == 151
    assert len(reopened.image_paths()) == 4


def test_comma_separated_object_info_reads_the_same(tmp_path):
    make_ade20k(tmp_path, object_info="comma")
    project = Project.open(tmp_path / "ADEChallengeData2016")
    assert project.classes.names[1:4] == ["wall", "building", "sky"]


def test_without_object_info_ade_names_still_say_ade(tmp_path):
    make_ade20k(tmp_path, object_info=None)
    project = Project.open(tmp_path / "ADEChallengeData2016")
    assert project.layout is ADE20K and len(project.classes) == 151
    assert project.classes.names[:3] == ["other", "class 1", "class 2"]
    assert "no objectInfo150.csv" in project.origin


def test_images_and_annotations_alone_are_not_ade(tmp_path):
    root = tmp_path / "mine"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.new("RGB", (4, 4)).save(root / "images" / "frame.png")
    assert Project.open(root).kind is ProjectKind.FOLDER


def test_devkit_object_info_txt_is_read_too(tmp_path):
    make_ade20k(tmp_path, object_info=None)
    root = tmp_path / "ADEChallengeData2016"
    write_object_info(root / "objectInfo150.txt", ade_names())
    project = Project.open(root)
    assert project.classes.names[1] == "wall" and "objectInfo150.txt" in project.origin


def test_duplicate_first_synonyms_keep_their_full_names(tmp_path):
    path = tmp_path / "objectInfo150.csv"
    write_object_info(path, ["screen door, screen", "screen, silver screen", "screen, crt screen", "sky"])
    assert read_object_info(path) == ["screen door", "screen, silver screen", "screen, crt screen", "sky"]


@pytest.mark.parametrize("content, words", [
    ("Idx\tName\n2\twall\n", "Idx 2 where 1 was expected"),
    ("Number\tLabel\n1\twall\n", "no Idx and Name columns"),
    ("Idx\tName\nfirst\twall\n", "line 2"),
    ("", "empty"),
])
def test_a_broken_object_info_is_one_sentence_naming_it(tmp_path, content, words):
    make_ade20k(tmp_path, object_info=None)
    root = tmp_path / "ADEChallengeData2016"
    (root / "objectInfo150.csv").write_text(content)
    with pytest.raises(SegError) as caught:
        Project.open(root)
    message = str(caught.value)
    assert words in message and "objectInfo150.csv" in message and "\n" not in message


def test_ade_classes_show_in_ade20ks_own_colours_each_its_own(tmp_path):
    """color150 as MMSegmentation lists it: wall (1) (120, 120, 120), road (7) (140, 140, 140), flag (150)
    (92, 0, 255); skyscraper (49), which the table paints road's grey too, gets a colour of its own."""
    from segmodels.labels.classes import ade20k_preset, load_class_table

    make_ade20k(tmp_path)
    opened = Project.open(tmp_path / "ADEChallengeData2016").classes
    preset = ade20k_preset()
    for table in (opened, preset, load_class_table("ade20k")):
        colors = [info.color for info in table]
        assert colors[0] == (0, 0, 0) and colors[1] == (120, 120, 120) and colors[7] == (140, 140, 140)
        assert colors[150] == (92, 0, 255)
        assert len(set(colors)) == len(colors) == 151
    assert preset.names[49] == "skyscraper"


def test_ade_labels_export_as_colour_and_read_back_to_the_same_indices(tmp_path):
    from segmodels.formats.encodings import read_label_file, write_label_file
    from segmodels.labels.classes import ade20k_preset

    classes = ade20k_preset()
    label = np.arange(151, dtype=np.uint8).repeat(3).reshape(1, -1).repeat(2, axis=0)
    write_label_file(tmp_path / "l.png", label, classes, LabelEncoding.COLOR)  # refused if two shared a colour
    np.testing.assert_array_equal(read_label_file(tmp_path / "l.png", classes), label)
