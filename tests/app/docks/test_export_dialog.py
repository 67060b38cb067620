"""The export dialog: each control both ways, the three formats write the right files (in the worker),
unsaved edits are offered for saving first, Cancel stops, and errors become a message."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.docks.export_dialog import ExportDialog
from app.document.label_document import LabelDocument
from app.messages import Answer
from segmodels.labels.blend import blend
from segmodels.labels.export import ExportFormat
from segmodels.labels.imageio import read_image
from segmodels.labels.labelio import read_label_png
from support.projects import HEIGHT, WIDTH, make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=4, labelled=3)


@pytest.fixture
def dialog(qtbot, project, messages, tmp_path):
    document = LabelDocument()
    assert document.open_project(project)
    dialog = ExportDialog(document, choose_folder=lambda start, parent: str(tmp_path / "chosen"))
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    yield dialog
    if dialog.job.worker is not None:
        dialog.job.worker.cancel()
        dialog.job.worker.wait(10)


def export(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.export_finished, timeout=10000):
        assert dialog.start()
    assert not dialog.job.is_busy()


def test_controls_both_ways(dialog, tmp_path):
    assert dialog.export_format == ExportFormat.PALETTE and not dialog.alpha_spin.isEnabled()
    dialog.set_export_format("overlay")
    assert dialog.format_combo.currentText().startswith("Overlay") and dialog.alpha_spin.isEnabled()
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("color"))
    assert dialog.export_format == ExportFormat.COLOR and not dialog.alpha_spin.isEnabled()
    dialog.browse_button.click()  # the injected chooser stands in for the folder dialog
    assert dialog.folder_edit.text() == str(tmp_path / "chosen")
    assert "3 reviewed label(s)" in ExportDialog(dialog.document).status.text()


def test_palette_export_writes_the_labels(qtbot, dialog, project, tmp_path):
    export(qtbot, dialog)
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["img_0.png", "img_1.png", "img_2.png"]
    for image in project.labelled_images():
        assert np.array_equal(read_label_png(tmp_path / "out" / f"{image.stem}.png"), project.read_label(image))
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    assert f"3 label(s) exported to {tmp_path / 'out'}" in dialog.status.text()
    assert dialog.export_button.isEnabled() and dialog.cancel_button.text() == "Close"


def test_color_export(qtbot, dialog, project, tmp_path):
    dialog.set_export_format(ExportFormat.COLOR)
    export(qtbot, dialog)
    image = project.labelled_images()[0]
    rgb = np.asarray(Image.open(tmp_path / "out" / f"{image.stem}.png").convert("RGB"))
    assert np.array_equal(rgb, project.classes.palette()[project.read_label(image)])


def test_overlay_export_uses_the_alpha(qtbot, dialog, project, tmp_path):
    dialog.set_export_format(ExportFormat.OVERLAY)
    dialog.alpha_spin.setValue(0.25)
    export(qtbot, dialog)
    image = project.labelled_images()[0]
    rgb = np.asarray(Image.open(tmp_path / "out" / f"{image.stem}.png").convert("RGB"))
    expected = blend(read_image(image).rgb, project.read_label(image), project.classes, 0.25)
    assert np.array_equal(rgb, expected)


@pytest.mark.parametrize("answer", [Answer.YES, Answer.NO, Answer.CANCEL])
def test_unsaved_edits_are_offered_for_saving_first(qtbot, dialog, project, messages, tmp_path, answer):
    document = dialog.document
    document.apply_mask(0, 0, np.ones((4, 4), bool), 2, "Fill")
    messages.answers = [answer]
    if answer is Answer.CANCEL:
        assert not dialog.start()
        assert not (tmp_path / "out").exists() and document.is_dirty
        return
    export(qtbot, dialog)
    assert messages.texts("ask")
    exported = read_label_png(tmp_path / "out" / f"{document.image_path.stem}.png")
    assert bool(exported[0, 0] == 2) is (answer is Answer.YES)
    assert document.is_dirty is (answer is Answer.NO)


def test_cancel_stops_the_export(qtbot, dialog):
    with qtbot.waitSignal(dialog.export_finished, timeout=10000):
        assert dialog.start()
        assert dialog.cancel_button.text() == "Cancel" and not dialog.export_button.isEnabled()
        dialog.cancel_button.click()
    assert dialog.status.text().startswith("Cancelled")


def test_unreadable_label_is_skipped_and_reported(qtbot, dialog, project, tmp_path):
    broken = project.label_path(project.labelled_images()[1])
    broken.write_bytes(b"not a png")
    export(qtbot, dialog)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img_0.png", "img_2.png"]
    assert "2 label(s) exported" in dialog.status.text() and "1 skipped" in dialog.status.text()
    assert dialog.panel.lines() == [f"Skipped: {dialog.steps[1].error}"] and "img_1" in dialog.panel.lines()[0]


def test_bad_output_folder_is_one_message(qtbot, dialog, project, messages, tmp_path):
    (tmp_path / "a_file").write_text("x")
    dialog.folder_edit.setText(str(tmp_path / "a_file"))
    export(qtbot, dialog)
    assert "not a folder" in dialog.status.text()
    assert any("not a folder" in text for text in messages.texts("error"))


def test_empty_folder_field_warns(dialog, messages):
    dialog.folder_edit.setText("  ")
    assert not dialog.start()
    assert messages.texts("warning")


def test_label_size_from_fixture_matches(project):
    assert project.read_label(project.labelled_images()[0]).shape == (HEIGHT, WIDTH)


def test_file_export_action_opens_the_dialog(qtbot, project, messages):
    from app.window.label_wiring import install_label_docks
    from app.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    install_label_docks(window)
    assert window.open_path(project.root)
    window.actions_by_name["export"].trigger()
    dialogs = [w for w in window.findChildren(ExportDialog) if w.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].document is window.document
    assert dialogs[0].folder_edit.text() == str(project.root / "export")
    dialogs[0].reject()
    window.image_list.cancel_thumbnails()
