"""The import dialog, for each kind (COCO, labelme, CVAT): the project's files appear with the right
labels, the progress bar reaches the total, Cancel stops (between images, or between zip members), a
bad input is one sentence, and the end offers to open the project."""
from __future__ import annotations

import numpy as np
import pytest

from app.docks.import_dialog import ImportDialog
from app.messages import Answer
from segmodels.formats import importing, safezip
from segmodels.labels.project import Project
from support.annotations import make_coco_dataset, shape, write_image, write_labelme
from support.voc_trees import CVAT_LABELMAP, cvat_label, make_cvat_zip

WAIT_MS = 20000


@pytest.fixture
def dialog(qtbot, messages):
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    yield dialog
    if dialog.job.worker is not None:
        dialog.job.worker.cancel()
        dialog.job.worker.wait(10)


def run_import(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.import_finished, timeout=WAIT_MS):
        assert dialog.start()
    assert not dialog.job.is_busy() and dialog.cancel_button.text() == "Close"


def make_labelme_folder(folder, count: int = 3) -> dict[str, np.ndarray]:
    """labelme's own layout: <stem>.json beside <stem>.jpg; a 'cat' rectangle and a 'dog' polygon."""
    expected = {}
    for index in range(count):
        stem = f"photo_{index}"
        write_image(folder / f"{stem}.jpg", 24, 32, index)
        write_labelme(folder / f"{stem}.json", [shape("cat", [(2, 2), (9, 9)], "rectangle"),
                                                 shape("dog", [(20, 10), (28, 10), (28, 20), (20, 20)])],
                      f"{stem}.jpg", 24, 32)
        label = np.zeros((24, 32), np.uint8)
        label[2:10, 2:10] = 1          # classes found, sorted: _background_, cat, dog
        label[10:21, 20:29] = 2
        expected[stem] = label
    return expected


def test_coco_import_writes_the_project_and_offers_to_open_it(qtbot, dialog, messages, tmp_path):
    annotations, images, expected = make_coco_dataset(tmp_path / "coco")
    out = tmp_path / "project"
    dialog.set_kind("coco")
    assert dialog.images_edit.isVisibleTo(dialog) and not dialog.classes_edit.isVisibleTo(dialog)
    dialog.set_source(annotations)
    assert dialog.images_edit.text() == str(annotations.parent)  # filled in beside the file: wrong here
    dialog.images_edit.setText(str(images))
    dialog.out_edit.setText(str(out))
    messages.answers = [Answer.YES]
    opened = []
    dialog.open_requested.connect(opened.append)
    run_import(qtbot, dialog)
    assert opened == [out]
    project = Project.open(out)
    for name, label in expected.items():
        assert np.array_equal(project.read_label(project.images_dir / name), label)
    assert dialog.panel.progress.value() == dialog.panel.progress.maximum() == 2
    assert dialog.panel.status.text().startswith(f"Imported 2 of 2 image(s) into {out}. 4 classes: background")
    assert messages.texts("ask") == [f"Open the imported project {out}?"] and not messages.texts("error")


def test_labelme_import_with_its_class_list(qtbot, dialog, messages, tmp_path):
    source = tmp_path / "shots"
    expected = make_labelme_folder(source)
    (tmp_path / "labels.txt").write_text("__ignore__\n_background_\ndog\ncat\n")
    dialog.set_kind("labelme")
    assert dialog.classes_edit.isVisibleTo(dialog) and not dialog.images_edit.isVisibleTo(dialog)
    messages.folders = [source]
    dialog.source_button.click()
    assert dialog.out_edit.text() == str(tmp_path / "shots-segstudio")
    messages.files = [tmp_path / "labels.txt"]
    dialog.classes_button.click()
    run_import(qtbot, dialog)
    project = Project.open(tmp_path / "shots-segstudio")
    assert project.classes.names == ["_background_", "dog", "cat"]
    label = project.read_label(project.images_dir / "photo_1.jpg")
    swapped = np.choose(expected["photo_1"], [0, 2, 1]).astype(np.uint8)  # the list puts dog before cat
    assert np.array_equal(label, swapped)
    assert dialog.panel.progress.value() == dialog.panel.progress.maximum() == 3


def test_cvat_import_unpacks_the_zip(qtbot, dialog, messages, tmp_path):
    labels = {f"frame_{i:03d}": cvat_label(seed=i) for i in range(3)}
    zip_path = make_cvat_zip(tmp_path / "task.zip", labels)
    dialog.set_kind("cvat")
    messages.files = [zip_path]
    dialog.source_button.click()
    assert dialog.out_edit.text() == str(tmp_path / "task")
    run_import(qtbot, dialog)
    project = Project.open(tmp_path / "task")
    assert project.classes.names == [name for name, _color in CVAT_LABELMAP]
    for item, label in labels.items():
        assert np.array_equal(project.read_label(project.images_dir / f"{item}.jpg"), label)
    assert dialog.panel.progress.value() == dialog.panel.progress.maximum() == 1
    assert "3 images, 3 labelled" in dialog.panel.status.text()
    assert messages.texts("ask") and not messages.texts("error")  # answered No: nothing opened


def test_cancel_stops_a_coco_import_between_images(qtbot, dialog, messages, tmp_path, monkeypatch):
    annotations, images, _expected = make_coco_dataset(tmp_path / "coco")
    import_one = importing._import_one

    def then_cancel(*args):  # Cancel pressed while the first image is written
        result = import_one(*args)
        dialog.job.cancel()  # what the Cancel button does (a click from this worker thread would be queued)
        return result

    monkeypatch.setattr(importing, "_import_one", then_cancel)
    dialog.set_kind("coco")
    dialog.set_source(annotations)
    dialog.images_edit.setText(str(images))
    run_import(qtbot, dialog)
    out = tmp_path / "coco" / "annotations" / "instances_val-segstudio"
    assert len(Project.open(out).labelled_images()) == 1  # a valid project of the image done
    assert dialog.panel.status.text().startswith("Cancelled: imported 1 of 2 image(s)")


def test_cancel_stops_a_cvat_import_and_leaves_nothing(qtbot, dialog, messages, tmp_path, monkeypatch):
    zip_path = make_cvat_zip(tmp_path / "task.zip", {f"f{i}": cvat_label(seed=i) for i in range(3)})
    extract_one = safezip._extract_one

    def then_cancel(*args):
        extract_one(*args)
        dialog.job.cancel()

    monkeypatch.setattr(safezip, "_extract_one", then_cancel)
    dialog.set_kind("cvat")
    dialog.set_source(zip_path)
    run_import(qtbot, dialog)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["task.zip"]
    assert dialog.panel.status.text() == "Cancelled: nothing was imported."
    assert not messages.texts("error") and not messages.texts("ask")


@pytest.mark.parametrize("kind", ["coco", "labelme", "cvat"])
def test_a_bad_source_is_one_sentence(qtbot, dialog, messages, tmp_path, kind):
    bad = {"coco": tmp_path / "broken.json", "labelme": tmp_path / "empty", "cvat": tmp_path / "task.zip"}[kind]
    if kind == "labelme":
        bad.mkdir()
    else:
        bad.write_text("{ not json" if kind == "coco" else "not a zip")
    dialog.set_kind(kind)
    dialog.set_source(bad)
    dialog.images_edit.setText(str(tmp_path))
    run_import(qtbot, dialog)
    (error,) = messages.texts("error")
    assert str(bad.name) in error and "\n" not in error and error.count(". ") <= 1, error
    assert dialog.panel.status.text().startswith("Import stopped: ")
    assert not (tmp_path / f"{bad.stem}-segstudio").exists() and not messages.texts("ask")


def test_an_unreadable_image_is_one_line_and_the_rest_imports(qtbot, dialog, messages, tmp_path):
    source = tmp_path / "shots"
    make_labelme_folder(source)
    (source / "photo_1.jpg").unlink()
    dialog.set_kind("labelme")
    dialog.set_source(source)
    run_import(qtbot, dialog)
    (line,) = dialog.panel.lines()
    assert line.startswith("Skipped: ") and "photo_1" in line
    assert "Imported 2 of 3 image(s)" in dialog.panel.status.text() and "1 skipped" in dialog.panel.status.text()
    assert len(Project.open(tmp_path / "shots-segstudio").labelled_images()) == 2


def test_a_non_empty_output_folder_is_refused_in_plain_words(qtbot, dialog, messages, tmp_path):
    source = tmp_path / "shots"
    make_labelme_folder(source, 1)
    dialog.set_kind("labelme")
    dialog.set_source(source)
    (tmp_path / "shots-segstudio").mkdir()
    (tmp_path / "shots-segstudio" / "notes.txt").write_text("mine")
    run_import(qtbot, dialog)
    (error,) = messages.texts("error")
    assert error.startswith("The output ") and "--out" not in error


def test_missing_fields_are_named(dialog, messages):
    dialog.set_kind("coco")
    assert not dialog.start()
    dialog.source_edit.setText("/x/a.json")
    dialog.out_edit.setText("/x/out")
    assert not dialog.start()
    assert messages.texts("warning") == ["Choose the annotations first.", "Choose the images folder first."]
