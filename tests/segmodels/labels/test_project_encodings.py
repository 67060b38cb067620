"""Projects whose labels are grey, colour or one-hot: opened with their encoding (recorded, or read
from the first label file), listed, read, written back in it, exported and validated."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from segmodels.constants import IGNORE_INDEX
from segmodels.formats.encodings import LabelEncoding
from segmodels.labels.classes import ClassTable
from segmodels.labels.export import iter_export
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import ImageStatus, Project, ProjectKind
from segmodels.validation.run import validate_path
from support.labels import save_rgb

CLASSES = ClassTable.from_names(["background", "building", "road"])
H, W = 12, 16


def label(seed: int) -> np.ndarray:
    label_map = np.random.default_rng(seed).integers(0, len(CLASSES), (H, W), dtype=np.uint8)
    label_map[0, :2] = IGNORE_INDEX
    return label_map


def images(root, count=3):
    (root / "images").mkdir(parents=True)
    for index in range(count):
        save_rgb(root / "images" / f"tile_{index}.jpg", H, W, seed=index)
    (root / "labels").mkdir()
    return root


def older_project_file(root, **extra):
    """segstudio.json as a segstudio before label encodings wrote it (no "label_encoding")."""
    data = {"version": 1, "classes": CLASSES.to_json(), "ignore_index": 255, "images": "images", "labels": "labels"}
    (root / "segstudio.json").write_text(json.dumps({**data, **extra}))


def test_plain_folder_of_grey_labels_stays_grey_and_records_it_when_saved(tmp_path):
    root = images(tmp_path / "mmseg")  # mmseg's custom dataset: img_dir + ann_dir of grey index PNGs
    for index in range(2):
        Image.fromarray(label(index), mode="L").save(root / "labels" / f"tile_{index}.png")
    project = Project.open(root)
    assert project.kind is ProjectKind.FOLDER and project.label_encoding is LabelEncoding.GREY
    assert "grey labels" in project.origin
    first, second, third = project.image_paths()
    assert [project.statuses()[p] for p in (first, second, third)] == [ImageStatus.REVIEWED] * 2 + [
        ImageStatus.UNLABELLED]
    edited = project.read_label(first)
    edited[5:8, 5:9] = 2
    project.write_label(first, edited)
    project.write_label(third, label(7))  # a new label, in the project's encoding
    for image, expected in ((first, edited), (third, label(7))):
        path = project.label_path(image)
        assert Image.open(path).mode == "L"
        assert np.array_equal(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), expected)
    saved = project.save()
    assert json.loads((root / "segstudio.json").read_text())["label_encoding"] == "grey"
    assert Project.open(root).label_encoding is LabelEncoding.GREY and saved.kind is ProjectKind.PROJECT


def test_older_project_file_takes_the_encoding_of_its_colour_labels(tmp_path):
    root = images(tmp_path / "cvat")
    older_project_file(root)
    Image.fromarray(CLASSES.palette()[label(0)]).save(root / "labels" / "tile_0.png")
    project = Project.open(root)
    assert project.label_encoding is LabelEncoding.COLOR
    image = project.image_paths()[0]
    assert np.array_equal(project.read_label(image), label(0))
    project.write_label(project.image_paths()[1], label(1))
    assert Image.open(project.label_path(project.image_paths()[1])).mode == "RGB"
    assert project.save().to_json()["label_encoding"] == "color"


def test_recorded_encoding_wins_for_new_labels_and_each_file_keeps_its_own(tmp_path):
    root = images(tmp_path / "mixed")
    older_project_file(root, label_encoding="palette")
    Image.fromarray(label(0), mode="L").save(root / "labels" / "tile_0.png")
    project = Project.open(root)
    assert project.label_encoding is LabelEncoding.PALETTE
    first, second, _ = project.image_paths()
    project.write_label(first, label(3))
    project.write_label(second, label(4))
    assert Image.open(project.label_path(first)).mode == "L"
    assert Image.open(project.label_path(second)).mode == "P"


def labelme_folder(root):
    """labelme2voc.py's output beside its images: SegmentationClassNpy-style int32 arrays, -1 = unlabelled."""
    images(root)
    for index in range(2):
        values = label(index).astype(np.int32)
        values[values == IGNORE_INDEX] = -1
        np.save(root / "labels" / f"tile_{index}.npy", values)
    return root


def test_onehot_folder_is_listed_read_and_written_back_as_arrays(tmp_path):
    project = Project.open(labelme_folder(tmp_path / "labelme"))
    assert project.label_encoding is LabelEncoding.ONEHOT
    first, second, third = project.image_paths()
    assert project.labelled_images() == [first, second]
    assert project.statuses()[third] is ImageStatus.UNLABELLED
    assert np.array_equal(project.read_label(first), label(0))
    project.write_label(third, label(9))  # a new label looks like the others: int32 index array, -1
    written = np.load(project.label_path(third))
    assert project.label_path(third).name == "tile_2.npy" and written.dtype == np.int32
    assert np.array_equal(written, np.where(label(9) == IGNORE_INDEX, -1, label(9).astype(np.int32)))
    assert sorted(p.name for p in project.labels_dir.iterdir()) == ["tile_0.npy", "tile_1.npy", "tile_2.npy"]


def test_onehot_npz_project_writes_new_labels_as_npz_stacks_like_its_others(tmp_path):
    root = images(tmp_path / "stacks")
    older_project_file(root, label_encoding="onehot")
    hot = np.stack([label(0) == c for c in range(3)], axis=-1).astype(np.float32)
    np.savez_compressed(root / "labels" / "tile_0.npz", masks=hot)
    project = Project.open(root)
    first, _, third = project.image_paths()
    assert project.label_path(third).name == "tile_2.npz"
    assert project.statuses()[first] is ImageStatus.REVIEWED
    project.write_label(third, label(5))
    with np.load(project.label_path(third)) as archive:
        assert archive.files == ["masks"] and archive["masks"].dtype == np.float32
        assert archive["masks"].shape == (H, W, 3)
    assert np.array_equal(project.read_label(third), label(5))
    assert project.labelled_images() == [first, third]


@pytest.mark.parametrize("encoding", ["color", "onehot", "grey"])
def test_export_reads_every_encoding(tmp_path, encoding):
    root = images(tmp_path / encoding)
    older_project_file(root, label_encoding=encoding)
    project = Project.open(root)
    for image in project.image_paths()[:2]:
        project.write_label(image, label(int(image.stem[-1])))
    steps = list(iter_export(project, tmp_path / "out", "palette"))
    assert [s.error for s in steps] == [None, None]
    assert np.array_equal(read_label_png(tmp_path / "out" / "tile_1.png"), label(1))


def test_validation_of_colour_and_onehot_projects(tmp_path):
    root = labelme_folder(tmp_path / "labelme")
    report = validate_path(root, CLASSES)
    assert report.ok and report.files_checked == 2, report.problems  # -1 is unlabelled, not out of range
    colour = images(tmp_path / "colour")
    older_project_file(colour, label_encoding="color")
    rgb = CLASSES.palette()[label(0)]
    rgb[3, 4] = (1, 2, 3)
    Image.fromarray(rgb).save(colour / "labels" / "tile_0.png")
    report = validate_path(colour)
    problem, = report.problems
    assert problem.kind.value == "unknown_color" and problem.first == (3, 4) and "(1, 2, 3)" in problem.message
