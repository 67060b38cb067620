"""Files of other kinds where a label (or an image) was expected are named as what they are, with the
command that imports them, never "not a readable image file"; 1-bit PNG masks read as 0/1 everywhere."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.formats.encodings import read_label_file
from segmodels.formats.foreign import identify
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.imageio import read_header, read_image
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project
from segmodels.validation.run import validate_path
from support.annotations import make_coco_dataset, shape, write_image, write_labelme

CVAT_XML = ("<?xml version='1.0' encoding='utf-8'?>\n<annotations>\n  <version>1.1</version>\n  <meta><task>"
            "<name>t</name></task></meta>\n  <image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\"></image>\n"
            "</annotations>\n")
VOC_XML = ("<annotation>\n\t<folder>VOC2012</folder>\n\t<filename>2007_000027.jpg</filename>\n\t<object>\n"
           "\t\t<name>person</name>\n\t\t<bndbox><xmin>174</xmin></bndbox>\n\t</object>\n</annotation>\n")


@pytest.fixture
def foreign(tmp_path):
    """One file of each kind, each made as its tool makes it."""
    files = {}
    files["labelme"] = write_labelme(tmp_path / "a.json", [shape("cat", [(1, 1), (3, 1), (3, 3)])], "a.jpg", 4, 4)
    files["coco"], _, _ = make_coco_dataset(tmp_path / "coco")
    files["coco_zip"] = tmp_path / "task_coco.zip"
    with zipfile.ZipFile(files["coco_zip"], "w") as archive:  # CVAT's "COCO 1.0" export
        archive.writestr("annotations/instances_default.json", files["coco"].read_text())
        archive.writestr("images/a.jpg", b"jpeg")
    files["cvat_zip"] = tmp_path / "task_cvat.zip"
    with zipfile.ZipFile(files["cvat_zip"], "w") as archive:  # CVAT's "CVAT for images 1.1" export
        archive.writestr("annotations.xml", CVAT_XML)
    files["cvat_xml"] = tmp_path / "annotations.xml"
    files["cvat_xml"].write_text(CVAT_XML)
    files["voc_xml"] = tmp_path / "2007_000027.xml"
    files["voc_xml"].write_text(VOC_XML)
    files["class_list"] = tmp_path / "class_names.txt"
    files["class_list"].write_text("_background_\ncat\ndog\n")
    files["yolo"] = tmp_path / "frame.txt"
    files["yolo"].write_text("0 0.5 0.5 0.2 0.3\n1 0.25 0.4 0.1 0.1\n")
    return files


@pytest.mark.parametrize("kind, what, command", [
    ("labelme", "a labelme annotation", "segstudio import labelme"),
    ("coco", "a COCO annotation file", "segstudio import coco"),
    ("coco_zip", "a zip archive of a COCO export", "segstudio import coco annotations/instances_default.json"),
    ("cvat_zip", "a zip archive of a CVAT for images export", "Segmentation mask"),
    ("cvat_xml", "a CVAT for images annotation file", "Segmentation mask"),
    ("voc_xml", "a PASCAL VOC box annotation", "SegmentationClass/"),
    ("class_list", "a class list", "--classes"),
    ("yolo", "a YOLO annotation", "does not import YOLO"),
])
def test_each_kind_is_recognised_by_its_content(foreign, kind, what, command):
    found = identify(foreign[kind])
    assert found is not None and found.what.startswith(what) and command in found.hint


def test_a_json_given_as_a_label_or_an_image_is_named_with_its_import_command(foreign):
    path = foreign["labelme"]
    with pytest.raises(SegError) as label:
        read_label_file(path, voc_classes())
    message = str(label.value)
    assert message == (f"Label '{path}' is a labelme annotation, not a label image; import it with: "
                       f"segstudio import labelme {path.parent} --out PROJECT.")
    for reader in (read_image, read_header):  # the window opening it as an image
        with pytest.raises(SegError) as image:
            reader(foreign["coco"])
        assert "is a COCO annotation file, not an image" in str(image.value)
        assert "not a readable image" not in str(image.value)
    with pytest.raises(SegError, match="is a zip archive of a CVAT"):
        read_label_png(foreign["cvat_zip"])


def test_the_validator_names_foreign_files_in_a_label_folder(tmp_path, foreign, capsys):
    project = Project.create(tmp_path / "p", ClassTable.from_names(["background", "cat"]))
    write_image(project.images_dir / "a.png", 4, 4)
    project.write_label(project.images_dir / "a.png", np.zeros((4, 4), np.uint8))
    for kind in ("labelme", "coco_zip", "voc_xml"):
        target = project.labels_dir / foreign[kind].name
        target.write_bytes(foreign[kind].read_bytes())
    report = validate_path(project.root)
    by_file = {p.file.rsplit("/", 1)[-1]: p for p in report.problems}
    assert set(by_file) == {"a.json", "task_coco.zip", "2007_000027.xml"} and report.files_checked == 4
    assert "is a labelme annotation, not a label image; import it with: segstudio import labelme" in \
        by_file["a.json"].message
    assert all(p.kind.value == "unsupported_format" for p in report.problems)
    assert not any("readable image" in p.message or "no image" in p.message for p in report.problems)
    assert main(["validate", str(foreign["coco"])]) == 1
    out = capsys.readouterr().out
    assert "is a COCO annotation file, not a label image; import it with: segstudio import coco" in out


def test_opening_a_labelme_folder_says_how_to_import_it(tmp_path):
    folder = tmp_path / "shots"
    write_image(folder / "a.jpg", 8, 8)
    write_labelme(folder / "a.json", [], "a.jpg", 8, 8)
    project = Project.open(folder)
    assert "a labelme annotation" in project.origin and "segstudio import labelme" in project.origin
    assert project.origin.startswith("Plain image folder")
    write_image(tmp_path / "plain" / "b.png", 8, 8)
    (tmp_path / "plain" / "meta.json").write_text('{"camera": "x"}')  # some other JSON: no word at every open
    assert "another format" not in Project.open(tmp_path / "plain").origin


def test_one_bit_png_masks_read_as_zero_and_one_everywhere(tmp_path):
    project = Project.create(tmp_path / "p", ClassTable.from_names(["background", "object"]))
    write_image(project.images_dir / "m.png", 6, 8)
    mask = np.zeros((6, 8), bool)
    mask[2:5, 3:7] = True
    Image.fromarray(mask).convert("1").save(project.labels_dir / "m.png")
    assert Image.open(project.labels_dir / "m.png").mode == "1"
    expected = mask.astype(np.uint8)
    assert np.array_equal(project.read_label(project.images_dir / "m.png"), expected)  # window, training
    assert np.array_equal(read_label_png(project.labels_dir / "m.png"), expected)
    report = validate_path(project.root)
    assert report.ok and report.files_checked == 1, [p.message for p in report.problems]
    assert validate_path(project.labels_dir / "m.png").ok


def test_a_folder_of_only_foreign_files_is_validated_file_by_file(tmp_path, foreign, capsys):
    folder = tmp_path / "masks"
    folder.mkdir()
    (folder / "a.json").write_bytes(foreign["labelme"].read_bytes())
    (folder / "README.txt").write_text("These are my masks.\n")  # a note: not listed in a folder
    assert main(["validate", str(folder), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["files_checked"] == 1 and "labelme annotation" in data["problems"][0]["message"]


def test_training_without_labels_but_with_labelme_files_says_how_to_import_them(tmp_path, foreign):
    from segmodels.training.dataset import reviewed_images

    project = Project.create(tmp_path / "p", ClassTable.from_names(["background", "cat"]))
    write_image(project.images_dir / "a.jpg", 4, 4)
    (project.labels_dir / "a.json").write_bytes(foreign["labelme"].read_bytes())
    with pytest.raises(SegError, match="no reviewed labels") as info:
        reviewed_images(project)
    assert "a labelme annotation" in str(info.value) and "segstudio import labelme" in str(info.value)
