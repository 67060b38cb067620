"""CVAT "Segmentation mask 1.1" zips: imported as CVAT writes them, exported as CVAT reads them
(datumaro, CVAT's importer library, when installed), round trips index-exact."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.formats.cvat_export import CvatExport
from segmodels.formats.cvat_import import import_cvat
from segmodels.formats.encodings import LabelEncoding
from segmodels.labels.classes import ClassTable
from support.projects import make_project
from support.voc_trees import CVAT_LABELMAP, cvat_label, make_cvat_zip


def _import(tmp_path, labels, name="in.zip", **kwargs):
    return import_cvat(make_cvat_zip(tmp_path / name, labels, **kwargs), tmp_path / "project")


def test_import_cvat_zip_opens_with_labelmap(tmp_path):
    labels = {"frame_000000": cvat_label(seed=0), "frame_000001": cvat_label(seed=1)}
    project, notes = _import(tmp_path, labels)
    assert notes == []
    assert [(c.name, c.color) for c in project.classes] == CVAT_LABELMAP
    assert project.label_encoding is LabelEncoding.COLOR
    for image in project.image_paths():
        assert np.array_equal(project.read_label(image), labels[image.stem])
    assert not [p for p in (tmp_path).iterdir() if p.name.startswith(".sgs-import")]


def test_import_without_images_says_where_they_go(tmp_path, capsys):
    zip_path = make_cvat_zip(tmp_path / "a.zip", {"x": cvat_label()}, images=False)
    assert main(["import", "cvat", str(zip_path), "--out", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "holds no images" in out and "ImageSets/Segmentation/default.txt" in out
    assert (tmp_path / "p" / "JPEGImages").is_dir()


def test_zip_with_one_top_folder_is_taken_from_inside(tmp_path):
    inner = make_cvat_zip(tmp_path / "inner.zip", {"x": cvat_label()})
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(inner) as source, zipfile.ZipFile(nested, "w") as target:
        for info in source.infolist():
            target.writestr(f"task_7/{info.filename}", source.read(info))
    project, _notes = import_cvat(nested, tmp_path / "p")
    assert project.classes.names == [n for n, _c in CVAT_LABELMAP]


def test_import_refuses_a_non_empty_folder_and_a_zip_without_labels(tmp_path):
    zip_path = make_cvat_zip(tmp_path / "a.zip", {"x": cvat_label()})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(SegError, match="not empty"):
        import_cvat(zip_path, tmp_path / "full")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SegError, match="no SegmentationClass/"):
        import_cvat(other, tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_round_trip_cvat_zip_is_index_exact(tmp_path):
    labels = {f"frame_{i:06d}": cvat_label(seed=i) for i in range(3)}
    project, _notes = _import(tmp_path, labels)
    image = project.image_paths()[0]
    edited = project.read_label(image)
    edited[0:3, 0:3] = 2
    project.write_label(image, edited)
    labels[image.stem] = edited
    export = CvatExport(project, tmp_path / "out.zip")
    assert all(step.error is None for step in export.steps())
    assert export.notes == []  # a CVAT dataset has no unlabelled pixels to convert
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = set(archive.namelist())
        assert archive.read("labelmap.txt") == (tmp_path / "project" / "labelmap.txt").read_bytes()
        assert archive.read("ImageSets/Segmentation/default.txt").decode().split() == sorted(labels)
    assert {f"SegmentationClass/{i}.png" for i in labels} <= names and "JPEGImages/frame_000000.jpg" in names
    again, _notes = import_cvat(tmp_path / "out.zip", tmp_path / "again")
    assert again.classes == project.classes
    for image in again.image_paths():
        assert np.array_equal(again.read_label(image), labels[image.stem])
        original = project.images_dir / image.name
        assert image.read_bytes() == original.read_bytes()


def _segstudio_project(tmp_path, classes):
    project = make_project(tmp_path / "p", count=2, labelled=2)
    project = project.with_classes(classes).save(force=True)
    labels = {}
    for index, image in enumerate(project.image_paths()):
        label = cvat_label(40, 60, seed=index, classes=len(classes))
        label[:4, :4] = 255
        project.write_label(image, label)
        labels[image.stem] = label
    return project, labels


def test_unlabelled_pixels_become_the_background_class(tmp_path):
    project, labels = _segstudio_project(tmp_path, ClassTable.from_names(["background", "cat", "dog"]))
    export = CvatExport(project, tmp_path / "out.zip")
    list(export.steps())
    assert len(export.notes) == 1 and "32 unlabelled pixels in 2 labels" in export.notes[0]
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        text = archive.read("labelmap.txt").decode()
        rgb = np.array(Image.open(archive.open(f"SegmentationClass/{project.image_paths()[0].stem}.png")))
    assert text.splitlines()[1:] == ["background:0,0,0::", "cat:128,0,0::", "dog:0,128,0::"]
    assert (rgb[:4, :4] == 0).all()
    assert not (rgb == (224, 224, 192)).all(axis=-1).any()  # never VOC's undeclared void colour


def test_project_without_background_gets_one_added_last(tmp_path):
    classes = ClassTable.from_names(["road", "car"], colors=[(0, 0, 0), (200, 0, 0)])
    project, labels = _segstudio_project(tmp_path, classes)
    export = CvatExport(project, tmp_path / "out.zip")
    list(export.steps())
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        lines = archive.read("labelmap.txt").decode().splitlines()
    assert lines[1:] == ["road:0,0,0::", "car:200,0,0::", "background:128,0,0::"]  # black is road's
    assert "added last" in export.notes[0]
    again, _notes = import_cvat(tmp_path / "out.zip", tmp_path / "again")
    for image in again.image_paths():
        label = labels[image.stem].copy()
        label[label == 255] = 2  # background, the added third class; every other index unchanged
        assert np.array_equal(again.read_label(image), label)


def test_classes_cvat_cannot_tell_apart_are_refused(tmp_path):
    project = make_project(tmp_path / "p", count=1, labelled=1)
    same = project.with_classes(ClassTable.from_names(["a", "b"], colors=[(1, 1, 1), (1, 1, 1)]))
    with pytest.raises(SegError, match="share the colour"):
        CvatExport(same, tmp_path / "o.zip")
    colon = project.with_classes(ClassTable.from_names(["a:b", "c"]))
    with pytest.raises(SegError, match="contains ':'"):
        CvatExport(colon, tmp_path / "o.zip")
    with pytest.raises(SegError, match=r"must name a \.zip"):
        CvatExport(project, tmp_path / "o.tar")


def test_cli_export_cvat(tmp_path, capsys):
    project, _labels = _segstudio_project(tmp_path, ClassTable.from_names(["background", "cat"]))
    assert main(["export", str(project.root), "--format", "cvat", "--out", str(tmp_path / "o.zip")]) == 0
    out = capsys.readouterr().out
    assert "CVAT 'Segmentation mask 1.1' zip" in out and "written as background" in out


def test_datumaro_imports_our_zip(tmp_path):
    pytest.importorskip("datumaro")
    from datumaro.components.annotation import AnnotationType
    from datumaro.components.dataset import Dataset

    project, labels = _segstudio_project(tmp_path, ClassTable.from_names(["background", "cat", "dog"]))
    list(CvatExport(project, tmp_path / "out.zip").steps())
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        archive.extractall(folder)
    # CVAT's importer runs its datumaro fork's "voc" importer, which reads every ImageSets task folder;
    # PyPI's datumaro 1.x reads ImageSets/Segmentation under the name "voc_segmentation".
    dataset = Dataset.import_from(str(folder), "voc_segmentation")
    names = [label.name for label in dataset.categories()[AnnotationType.label]]
    assert names[:3] == ["background", "cat", "dog"]
    items = {item.id: item for item in dataset}
    assert set(items) == set(labels)
    for stem, label in labels.items():
        expected = label.copy()
        expected[expected == 255] = 0
        decoded = np.zeros(label.shape, np.uint8)
        for annotation in items[stem].annotations:
            if annotation.type is AnnotationType.mask:
                decoded[annotation.image.astype(bool)] = annotation.label
        assert np.array_equal(decoded, expected)
        assert items[stem].media is not None


def test_item_ids_with_folders_round_trip(tmp_path):
    labels = {"city/a": cvat_label(seed=0), "city/b": cvat_label(seed=1), "c": cvat_label(seed=2)}
    project, _notes = _import(tmp_path, labels)
    assert project.layout.name == "voc-nested" and "sub-folders" in project.origin
    found = {image.relative_to(project.images_dir).with_suffix("").as_posix(): image for image in project.image_paths()}
    assert set(found) == set(labels)
    for item, image in found.items():
        assert np.array_equal(project.read_label(image), labels[item])
    list(CvatExport(project, tmp_path / "out.zip").steps())
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert sorted(archive.read("ImageSets/Segmentation/default.txt").decode().split()) == sorted(labels)
        assert "SegmentationClass/city/a.png" in archive.namelist()
