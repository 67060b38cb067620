"""Project folders: create/open/save, plain folders, VOC roots in place, statuses, atomic writes."""
from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.project import ImageStatus, Project, ProjectKind, open_path
from support.labels import clean_label, save_rgb


def test_create_open_round_trip(tmp_path):
    table = ClassTable.from_names(["background", "cell", "nucleus"])
    root = tmp_path / "my project ü"
    project = Project.create(root, table)
    assert (root / "segstudio.json").is_file() and (root / "images").is_dir() and (root / "labels").is_dir()
    data = json.loads((root / "segstudio.json").read_text())
    assert data["version"] == 1 and data["ignore_index"] == 255 and data["images"] == "images"
    assert data["classes"][2] == {"id": 2, "name": "nucleus", "color": [0, 128, 0]}
    again = Project.open(root)
    assert again.kind is ProjectKind.PROJECT and again.classes == table
    assert project.is_writable()


def test_statuses_and_labelled_images(tmp_path):
    project = Project.create(tmp_path / "p", voc_classes())
    for name in ("a.png", "b.jpg", "c.png", ".hidden.png"):
        save_rgb(project.images_dir / name)
    (project.images_dir / "readme.txt").write_text("not an image")
    images = project.image_paths()
    assert [p.name for p in images] == ["a.png", "b.jpg", "c.png"]
    project.write_label(images[0], clean_label())
    project.write_prediction(images[1], clean_label())
    statuses = project.statuses()
    assert statuses[images[0]] is ImageStatus.REVIEWED
    assert statuses[images[1]] is ImageStatus.PREDICTED
    assert statuses[images[2]] is ImageStatus.UNLABELLED
    assert [project.status(p) for p in images] == list(statuses.values())
    assert project.labelled_images() == [images[0]]  # predictions never count as labels
    assert np.array_equal(project.read_label(images[0]), clean_label())
    assert project.read_label(images[2]) is None


def test_writes_are_atomic_and_keep_a_normal_file_mode(tmp_path):
    project = Project.create(tmp_path / "p", voc_classes())
    image = project.images_dir / "a.png"
    save_rgb(image)
    path = project.write_label(image, clean_label())
    assert sorted(p.name for p in project.labels_dir.iterdir()) == ["a.png"]
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode & stat.S_IRGRP or os.name == "nt"  # not the 0600 of a bare temporary file
    with pytest.raises(ValueError):
        project.write_label(image, np.zeros((3, 3), np.int32))  # refused before anything is written
    assert np.array_equal(project.read_label(image), clean_label())


def test_voc_root_opens_in_place_with_voc_classes(tmp_path):
    root = tmp_path / "VOC2012"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    save_rgb(root / "JPEGImages" / "2007_000032.jpg")
    save_rgb(root / "JPEGImages" / "2007_000033.jpg")
    project = Project.open(root)
    assert project.kind is ProjectKind.VOC and project.classes == voc_classes()
    assert project.labels_dir == root / "SegmentationClass"
    image = project.image_paths()[0]
    project.write_label(image, clean_label())
    assert (root / "SegmentationClass" / "2007_000032.png").is_file()
    assert project.labelled_images() == [image]
    assert not (root / "segstudio.json").exists()  # worked on in place


def test_plain_folder_becomes_a_project_on_save(tmp_path):
    save_rgb(tmp_path / "x.png")
    project = Project.open(tmp_path)
    assert project.kind is ProjectKind.FOLDER and project.images_dir == tmp_path
    saved = project.save()
    assert saved.kind is ProjectKind.PROJECT and Project.open(tmp_path).kind is ProjectKind.PROJECT


def test_open_path_for_an_image_selects_it(tmp_path):
    project = Project.create(tmp_path / "p", voc_classes())
    save_rgb(project.images_dir / "a.png")
    opened, selected = open_path(project.images_dir / "a.png")
    assert opened.root == project.root and selected == project.images_dir / "a.png"
    opened, selected = open_path(project.config_path)
    assert opened.root == project.root and selected is None


@pytest.mark.parametrize("content, match", [
    ("{broken", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"version": 1}', "classes"),
    ('{"version": 7, "classes": [{"name": "a"}]}', "version 7"),
    ('{"version": 1, "ignore_index": 0, "classes": [{"name": "a"}]}', "ignore_index"),
])
def test_bad_project_files_are_one_sentence(tmp_path, content, match):
    (tmp_path / "segstudio.json").write_text(content)
    with pytest.raises(SegError, match=match):
        Project.open(tmp_path)


def test_missing_and_non_folder_paths(tmp_path):
    with pytest.raises(SegError, match="does not exist"):
        Project.open(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SegError, match="not a folder"):
        Project.open(tmp_path / "file.txt")
