"""File > Export… in every format the CLI writes: the VOC tree, Cityscapes files (only offered for a
Cityscapes project), the CVAT zip and the COCO file; each in the worker with the bar reaching the
total, Cancel stopping it (a cancelled zip or JSON is not written), and a bad output one sentence."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from app.docks.export_choices import CHOICES
from app.docks.export_dialog import ExportDialog
from app.document.label_document import LabelDocument
from app.messages import Answer
from segmodels.formats import coco_export, cvat_export, voc_export
from segmodels.labels.project import Project
from support.cityscapes import label_file, make_cityscapes, stored
from support.projects import make_project

WAIT_MS = 20000
CITYSCAPES_KEYS = ["cityscapes-trainids", "cityscapes-labelids", "cityscapes-color"]


def open_dialog(qtbot, project: Project) -> ExportDialog:
    document = LabelDocument()
    assert document.open_project(project)
    dialog = ExportDialog(document, choose_folder=lambda start, parent: "")
    qtbot.addWidget(dialog)
    return dialog


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=4, labelled=3)


@pytest.fixture
def dialog(qtbot, project, messages):
    dialog = open_dialog(qtbot, project)
    yield dialog
    if dialog.job.worker is not None:
        dialog.job.worker.cancel()
        dialog.job.worker.wait(10)


def export(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.export_finished, timeout=WAIT_MS):
        assert dialog.start()
        assert dialog.cancel_button.text() == "Cancel" and not dialog.export_button.isEnabled()
    assert not dialog.job.is_busy()


def offered(dialog) -> list[str]:
    return [dialog.format_combo.itemData(row) for row in range(dialog.format_combo.count())]


def cancel_after_first(monkeypatch, module, name: str, dialog) -> None:
    """Cancel (as the button does) once the first label has been read."""
    original = getattr(module, name)

    def then_cancel(*args, **kwargs):
        result = original(*args, **kwargs)
        dialog.job.cancel()
        return result

    monkeypatch.setattr(module, name, then_cancel)


def test_every_cli_format_is_offered_and_cityscapes_only_for_cityscapes(qtbot, dialog, messages, tmp_path):
    assert offered(dialog) == [c.key for c in CHOICES if c.key not in CITYSCAPES_KEYS]
    assert {"palette", "color", "overlay", "index", "voc", "voc-index", "cvat", "coco"} <= set(offered(dialog))
    make_cityscapes(tmp_path / "cs", ("labelIds",))
    assert offered(open_dialog(qtbot, Project.open(tmp_path / "cs"))) == [c.key for c in CHOICES]


def test_switching_format_keeps_the_folder_and_swaps_the_file_name(dialog, project, messages, tmp_path):
    assert dialog.folder_edit.text() == str(project.root / "export")
    dialog.set_export_format("cvat")
    assert dialog.folder_edit.text() == str(project.root / "export" / "proj-cvat.zip")
    dialog.set_export_format("coco")
    assert dialog.folder_edit.text() == str(project.root / "export" / "proj-coco.json")
    messages.files = [tmp_path / "mine.json"]
    dialog.browse_button.click()  # a save-file question, through app.messages
    assert dialog.folder_edit.text() == str(tmp_path / "mine.json") and messages.texts("file")
    dialog.set_export_format("voc")
    assert dialog.folder_edit.text() == str(tmp_path)


@pytest.mark.parametrize("key, mode", [("voc", "P"), ("voc-index", "L")])
def test_voc_tree(qtbot, dialog, project, tmp_path, key, mode):
    dialog.set_export_format(key)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    export(qtbot, dialog)
    root = tmp_path / "out" / "VOCdevkit" / "VOC2012"
    for image in project.labelled_images():
        with Image.open(root / "SegmentationClass" / f"{image.stem}.png") as label:
            assert label.mode == mode and np.array_equal(np.asarray(label), project.read_label(image))
        assert (root / "JPEGImages" / f"{image.stem}.jpg").is_file()
    assert (root / "ImageSets" / "Segmentation" / "trainval.txt").read_text().split() == ["img_0", "img_1", "img_2"]
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    assert any("VOCSegmentation" in line for line in dialog.panel.lines())  # the export's closing notes
    assert "3 label(s) exported" in dialog.status.text()


def test_cvat_zip_imports_back_to_the_same_labels(qtbot, dialog, project, tmp_path):
    from segmodels.formats.cvat_import import import_cvat

    dialog.set_export_format("cvat")
    export(qtbot, dialog)
    written = project.root / "export" / "proj-cvat.zip"
    with zipfile.ZipFile(written) as archive:
        assert {"labelmap.txt", "SegmentationClass/img_0.png", "JPEGImages/img_0.png"} <= set(archive.namelist())
    back, _notes = import_cvat(written, tmp_path / "back")
    for image in project.labelled_images():
        assert np.array_equal(back.read_label(back.images_dir / image.name), project.read_label(image))
    assert dialog.progress.value() == dialog.progress.maximum() == 3


def test_coco_file_and_replacing_it_only_when_agreed(qtbot, dialog, project, messages, tmp_path):
    from pycocotools.coco import COCO

    dialog.set_export_format("coco")
    out = tmp_path / "labels.json"
    dialog.folder_edit.setText(str(out))
    export(qtbot, dialog)
    coco = COCO(str(out))
    first = project.labelled_images()[0]
    (entry,) = [e for e in coco.dataset["images"] if e["file_name"] == first.name]
    (annotation,) = coco.loadAnns(coco.getAnnIds(imgIds=[entry["id"]]))
    assert np.array_equal(coco.annToMask(annotation).astype(bool), project.read_label(first) == 1)
    out.write_text("{}")
    messages.answers = [Answer.NO]
    assert not dialog.start() and out.read_text() == "{}"
    messages.answers = [Answer.YES]
    export(qtbot, dialog)
    assert len(COCO(str(out)).dataset["images"]) == 3
    assert messages.texts("ask") == [f"{out} already exists. Replace it?"] * 2


def test_cityscapes_labelids_export_is_byte_identical(qtbot, messages, tmp_path):
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    dialog = open_dialog(qtbot, Project.open(tmp_path / "cs"))
    dialog.set_export_format("cityscapes-labelids")
    dialog.folder_edit.setText(str(tmp_path / "out"))
    export(qtbot, dialog)
    for image in made:
        ours = label_file(tmp_path / "out", image, "labelIds")
        assert np.array_equal(stored(ours), stored(label_file(tmp_path / "cs", image, "labelIds")))
    assert dialog.progress.value() == dialog.progress.maximum() == len(made)


@pytest.mark.parametrize("key, module, name", [("coco", coco_export, "image_annotations"),
                                               ("cvat", cvat_export, "checked_label")])
def test_cancel_writes_no_file(qtbot, dialog, project, monkeypatch, key, module, name):
    dialog.set_export_format(key)
    cancel_after_first(monkeypatch, module, name, dialog)
    export(qtbot, dialog)
    assert not (project.root / "export").exists() or not any((project.root / "export").iterdir())
    assert dialog.status.text().startswith("Cancelled: ") and "was not written" in dialog.status.text()


def test_cancel_stops_a_voc_tree_between_labels(qtbot, dialog, monkeypatch, tmp_path):
    dialog.set_export_format("voc")
    dialog.folder_edit.setText(str(tmp_path / "out"))
    cancel_after_first(monkeypatch, voc_export, "checked_label", dialog)
    export(qtbot, dialog)
    labels = list((tmp_path / "out").rglob("SegmentationClass/*.png"))
    assert len(labels) == 1 and dialog.status.text().startswith("Cancelled: 1 label(s) exported")


@pytest.mark.parametrize("key, name, words", [("coco", "a_folder.json", "is a folder"),
                                              ("cvat", "task.tar", "must name a .zip file for a CVAT export")])
def test_a_bad_output_is_one_sentence(qtbot, dialog, messages, tmp_path, key, name, words):
    dialog.set_export_format(key)
    (tmp_path / "a_folder.json").mkdir()
    dialog.folder_edit.setText(str(tmp_path / name))
    export(qtbot, dialog)
    (error,) = messages.texts("error")
    assert error.startswith("The output ") and words in error and "\n" not in error, error
    assert dialog.status.text().startswith("Export stopped: The output ")


def test_each_skipped_image_is_one_line(qtbot, dialog, project, tmp_path):
    for image in project.labelled_images()[:2]:
        project.label_path(image).write_bytes(b"not a png")
    dialog.set_export_format("coco")
    export(qtbot, dialog)
    lines = dialog.panel.lines()
    assert len(lines) == 2 and all(line.startswith("Skipped: ") for line in lines)
    assert "img_0" in lines[0] and "img_1" in lines[1]
    assert "1 label(s) exported" in dialog.status.text() and "2 skipped (listed below)" in dialog.status.text()
