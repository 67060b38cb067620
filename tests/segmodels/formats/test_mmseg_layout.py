"""mmseg custom-dataset roots (img_dir/ + ann_dir/ with split folders) open in place: classes from
classes.txt or numbered from the values found, grey labels kept grey, same stems in two splits kept apart."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.errors import StemClash
from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.mmseg import MMSEG, values_found
from segmodels.labels.project import Project, ProjectKind
from support.splits_datasets import make_mmseg


def test_classes_txt_names_the_classes(tmp_path):
    labels = make_mmseg(tmp_path / "data", classes=["road", "car", "person", "tree", "sky"])
    project = Project.open(tmp_path / "data")
    assert project.layout is MMSEG and project.kind is ProjectKind.VOC
    assert project.label_encoding is LabelEncoding.GREY
    assert project.classes.names == ["road", "car", "person", "tree", "sky"]
    assert "mmseg" in project.origin and "classes.txt" in project.origin
    for image in project.image_paths():
        np.testing.assert_array_equal(project.read_label(image), labels[project.label_path(image)])


def test_without_a_class_list_classes_are_numbered_from_the_values_found(tmp_path):
    make_mmseg(tmp_path / "data", top=6)
    project = Project.open(tmp_path / "data")
    assert project.classes.names == [f"class {k}" for k in range(7)]
    assert "values 0..6 found in 3 of 3 label files" in project.origin and "no classes.txt" in project.origin


def test_value_sample_is_spread_and_skips_unreadable_files(tmp_path):
    files = []
    for index in range(10):
        path = tmp_path / f"{index}.png"
        Image.fromarray(np.full((2, 2), index, np.uint8), mode="L").save(path)
        files.append(path)
    (tmp_path / "9.png").write_bytes(b"not a png")
    assert values_found(files, sample=4) == (6, 3)   # files 0, 3, 6 and the unreadable 9
    assert values_found(files) == (8, 9)


def test_one_stem_in_two_splits_is_two_images_with_two_labels(tmp_path):
    labels = make_mmseg(tmp_path / "data")
    project = Project.open(tmp_path / "data")
    images = project.image_paths()
    assert [p.relative_to(project.images_dir).as_posix() for p in images] == ["train/a.jpg", "train/b.jpg",
                                                                              "val/a.jpg"]
    train_a, val_a = images[0], images[2]
    assert project.label_path(train_a) != project.label_path(val_a)
    assert not np.array_equal(project.read_label(train_a), project.read_label(val_a))
    edited = project.read_label(val_a).copy()
    edited[:3, :3] = 2
    project.write_label(val_a, edited)
    train_file = project.label_path(train_a)
    with Image.open(train_file) as stored:
        np.testing.assert_array_equal(np.array(stored), labels[train_file])  # the other split's twin untouched
    with Image.open(project.label_path(val_a)) as stored:
        assert stored.mode == "L"
        expected = labels[project.label_path(val_a)].copy()
        expected[:3, :3] = 2
        np.testing.assert_array_equal(np.array(stored), expected)


def test_validate_pairs_each_split_label_with_its_own_image(tmp_path, capsys):
    make_mmseg(tmp_path / "data", classes=["a", "b", "c", "d", "e"])
    root = tmp_path / "data"
    Image.fromarray(np.zeros((5, 5), np.uint8), mode="L").save(root / "ann_dir" / "val" / "orphan.png")
    Image.new("RGB", (7, 7)).save(root / "img_dir" / "val" / "a.jpg")  # val/a no longer fits its label
    assert main(["validate", str(root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["files_checked"] == 4
    found = {(p["file"].replace("\\", "/").split("ann_dir/")[1], p["kind"]) for p in data["problems"]}
    assert found == {("val/orphan.png", "missing_image"), ("val/a.png", "size_mismatch")}
    assert data["class_table"]["source"] == "the mmseg dataset layout"
    assert data["class_table"]["classes"] == ["a", "b", "c", "d", "e"]
    assert "classes.txt" in data["class_table"]["why"]


def test_two_images_with_one_stem_in_one_split_are_refused_at_open(tmp_path):
    make_mmseg(tmp_path / "data")
    Image.new("RGB", (4, 4)).save(tmp_path / "data" / "img_dir" / "val" / "a.png")  # beside val/a.jpg
    with pytest.raises(StemClash) as caught:
        Project.open(tmp_path / "data")
    message = str(caught.value)
    assert "'a'" in message and "a.png" in message and "a.jpg" in message and "ann_dir" in message
