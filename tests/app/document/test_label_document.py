"""LabelDocument: opening, painting as undo steps, switching images without losing edits, saving."""
from __future__ import annotations

import os

import numpy as np
import pytest

from app.document.label_document import LabelDocument, ViewMode
from segmodels.labels.edits import disk_mask
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project
from support.projects import HEIGHT, WIDTH, make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3, labelled=1, predicted=1)


@pytest.fixture
def document(qtbot, project, messages):
    document = LabelDocument()
    document.open_project(project)
    return document


def test_open_project_loads_first_image_label_and_missing_label_as_unlabelled(document, project):
    images = project.image_paths()
    assert document.image_path == images[0]
    assert document.image.shape == (HEIGHT, WIDTH, 3)
    assert document.label_at(0, 0) == 1 and document.label_at(0, WIDTH - 1) == 0
    assert document.prediction is None and not document.is_dirty
    assert document.open_image(images[1])
    assert (document.label_map == 255).all()
    assert document.prediction_at(3, 3) == 2
    assert document.confidence_at(0, WIDTH - 1) == pytest.approx(1.0)


def test_stroke_is_one_undo_step_with_dirty_rectangles(qtbot, document):
    before = document.label_map.copy()
    rects = []
    document.label_changed.connect(lambda *r: rects.append(r))
    with qtbot.waitSignal(document.edit_committed):
        stroke = document.begin_stroke("Brush")
        stroke.paint(10, 10, disk_mask(5), 2)
        stroke.paint(20, 40, disk_mask(5), 2)
        stroke.finish()
    assert document.undo_stack.count() == 1 and document.is_dirty
    assert rects[0] == (10, 10, 15, 15) and rects[1] == (20, 40, 25, 45)
    changed = document.label_map != before
    assert changed.sum() == 2 * disk_mask(5).sum()
    document.undo_stack.undo()
    assert np.array_equal(document.label_map, before) and not document.is_dirty
    document.undo_stack.redo()
    assert (document.label_map[changed] == 2).all()


def test_switching_images_keeps_unsaved_edits(document, project):
    images = project.image_paths()
    document.apply_mask(0, 0, np.ones((3, 3), bool), 2, "Fill")
    edited = document.label_map.copy()
    document.open_image(images[2])
    assert document.unsaved_images() == [images[0]]
    assert not document.is_dirty
    document.open_image(images[0])
    assert np.array_equal(document.label_map, edited) and document.is_dirty
    document.undo_stack.undo()  # history survives the switch too
    assert document.label_at(0, 0) == 1


def test_save_writes_palette_png_equal_to_label(qtbot, document, project):
    document.apply_mask(5, 5, np.ones((4, 4), bool), 2, "Fill")
    with qtbot.waitSignal(document.image_saved):
        assert document.save()
    stored = read_label_png(project.label_path(document.image_path))
    assert np.array_equal(stored, document.label_map)
    assert not document.is_dirty and document.unsaved_images() == []


def test_save_all_writes_kept_edits_of_other_images(document, project):
    images = project.image_paths()
    document.open_image(images[2])
    document.apply_mask(0, 0, np.ones((2, 2), bool), 1, "Fill")
    kept = document.label_map.copy()
    document.open_image(images[0])
    assert document.save_all()
    assert np.array_equal(read_label_png(project.label_path(images[2])), kept)


def test_failed_save_keeps_the_edit_and_says_so(document, project, monkeypatch):
    document.apply_mask(0, 0, np.ones((2, 2), bool), 2, "Fill")
    errors = []
    document.error.connect(errors.append)

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Project, "write_label", refuse)
    assert not document.save()
    assert document.is_dirty and document.label_at(0, 0) == 2
    assert len(errors) == 1 and "kept in memory" in errors[0]


def test_accept_prediction_is_one_undoable_step(document, project):
    document.open_image(project.image_paths()[1])
    assert document.accept_prediction()
    assert (document.label_map == 2).all() and document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert (document.label_map == 255).all()


def test_corrupt_image_reports_and_keeps_current(document, project, messages):
    errors = []
    document.error.connect(errors.append)
    bad = project.images_dir / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    current = document.image_path
    failures = []
    document.image_failed.connect(lambda path, text: failures.append(path))
    assert not document.open_image(bad)
    assert document.image_path == current and failures == [bad]
    assert len(errors) == 1 and "broken.png" in errors[0]
    assert messages.texts("error") == []  # the document opens no message box: the window does


def test_set_classes_saves_project_json(qtbot, document, project):
    table = document.class_table.with_class("bird")
    with qtbot.waitSignal(document.classes_changed):
        assert document.set_classes(table)
    assert Project.open(project.root).classes.names == ["background", "cat", "dog", "bird"]


def test_view_settings_signal_only_on_change(qtbot, document):
    view = document.view
    with qtbot.waitSignal(view.opacity_changed):
        view.set_opacity(0.8)
    with qtbot.assertNotEmitted(view.opacity_changed):
        view.set_opacity(0.8)
    with qtbot.waitSignal(view.hidden_classes_changed):
        view.set_class_visible(1, False)
    assert view.hidden_classes == {1}
    with qtbot.waitSignal(view.view_mode_changed):
        view.set_view_mode(ViewMode.PREDICTION)
    view.set_active_class(7)  # not a class of the table: ignored
    assert view.active_class == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_project_warns_when_opened(tmp_path, qtbot):
    project = make_project(tmp_path / "ro", count=1)
    document, warnings = LabelDocument(), []
    document.warning.connect(warnings.append)
    os.chmod(project.labels_dir, 0o555)
    try:
        document.open_project(project)
    finally:
        os.chmod(project.labels_dir, 0o755)
    assert len(warnings) == 1 and "read-only" in warnings[0]


def test_read_only_check_is_used(tmp_path, qtbot, monkeypatch):
    project = make_project(tmp_path / "ro2", count=1)
    monkeypatch.setattr(Project, "is_writable", lambda self: False)
    document, warnings = LabelDocument(), []
    document.warning.connect(warnings.append)
    document.open_project(project)
    assert not document.is_writable
    assert len(warnings) == 1 and "read-only" in warnings[0]


def test_cancelled_stroke_restores_pixels_without_an_undo_step(document):
    before = document.label_map.copy()
    stroke = document.begin_stroke("Brush")
    stroke.paint(0, 0, np.ones((6, 6), bool), 2)
    assert document.label_at(1, 1) == 2
    stroke.cancel()
    assert np.array_equal(document.label_map, before)
    assert document.undo_stack.count() == 0 and not document.is_dirty


def test_plain_folder_becomes_a_project_on_first_save(tmp_path, qtbot, messages):
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (30, 20), (10, 200, 30)).save(folder / "a.jpg")
    document = LabelDocument()
    document.open_project(Project.open(folder))
    assert (document.label_map == 255).all()
    document.apply_mask(0, 0, np.ones((5, 5), bool), 1, "Fill")
    assert document.save()
    assert (folder / "segstudio.json").is_file()
    assert read_label_png(folder / "labels" / "a.png")[2, 2] == 1


def test_reload_prediction_after_a_model_wrote_one(qtbot, document, project):
    image = project.image_paths()[2]
    document.open_image(image)
    assert document.prediction is None
    project.write_prediction(image, np.full((HEIGHT, WIDTH), 1, np.uint8))
    with qtbot.waitSignal(document.prediction_changed):
        document.reload_prediction()
    assert document.prediction_at(0, 0) == 1 and document.confidence is None
