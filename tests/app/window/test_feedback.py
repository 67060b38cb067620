"""Feedback that lasts and does not jump: the saved message, the lasting recovery notice, the model
dock's fixed layout, the readout after a fill, the confidence key, the title."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint

from app.document.label_document import ViewMode
from app.widgets.elided_label import ElidedLabel, ReservedLabel
from app.window.main_window import MainWindow
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3, labelled=1, predicted=1)


def _window(qtbot, project) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_path(project.root)
    return window


def test_saving_says_which_file_in_the_status_bar(qtbot, messages, project):
    window = _window(qtbot, project)
    window.document.apply_mask(2, 2, np.ones((5, 5), bool), 2, "Fill")
    window.actions_by_name["save"].trigger()
    assert window.statusBar().currentMessage() == "Saved labels/img_0.png"


def test_recovery_notice_stays_until_dismissed(qtbot, messages, project):
    first = _window(qtbot, project)
    first.document.apply_mask(1, 1, np.ones((4, 4), bool), 2, "Fill")
    assert first.autosave.flush(wait=True)
    first.autosave.release()  # as after a crash: the next window may own the recovery folder
    second = _window(qtbot, project)
    notice = second.notice_bar.text()
    assert notice.startswith("Restored unsaved edits of 1 image")
    assert second.statusBar().currentMessage() != notice  # said once, where it lasts
    second.document.status_message.emit("Something else")  # a passing message does not replace it
    qtbot.wait(50)
    assert second.notice_bar.text() == notice and second.notice_bar.isVisible()
    second.notice_bar.dismiss_button.click()
    assert second.notice_bar.text() == "" and not second.notice_bar.isVisible()


def test_model_dock_buttons_stay_put_when_the_info_line_shows(qtbot, messages, project):
    from app.docks.model import ModelDock
    from app.jobs.backend import ModelBackend
    from support.models import FakeHost

    dock = ModelDock(FakeHost(project, None), ModelBackend(), choose_file=lambda parent: None)
    qtbot.addWidget(dock)
    dock.resize(360, 500)
    dock.show()
    qtbot.waitExposed(dock)
    before = dock.predict_button.mapTo(dock, QPoint(0, 0)), dock.progress.mapTo(dock, QPoint(0, 0))
    for text in ("", "A checkpoint summary that is long enough to need two or three lines in a narrow dock "
                     "like this one, and then some more words so that it must be cut: " + "word " * 40):
        for label in (dock.info_label, dock.status_label, dock.device_label):
            label.setText(text)
        qtbot.wait(20)
        assert (dock.predict_button.mapTo(dock, QPoint(0, 0)), dock.progress.mapTo(dock, QPoint(0, 0))) == before
    assert dock.info_label.is_cut() and dock.info_label.toolTip() == dock.info_label.text()
    assert dock.info_label.shown_text().endswith("…")


def test_elided_label_shows_the_whole_text_on_hover(qtbot):
    label = ElidedLabel("short")
    qtbot.addWidget(label)
    label.resize(400, 20)
    assert label.shown_text() == "short" and label.toolTip() == ""
    label.setText("a very long message " * 20)
    assert label.shown_text().endswith("…") and label.toolTip() == label.text()
    reserved = ReservedLabel("two words", lines=1)
    qtbot.addWidget(reserved)
    reserved.resize(300, reserved.height())
    assert not reserved.is_cut()


def test_readout_updates_after_a_fill_without_a_mouse_move(qtbot, messages, project):
    window = _window(qtbot, project)
    window.canvas.cursor_moved.emit(3, 4)
    assert "class 1 cat" in window.position_label.text()
    window.document.apply_mask(0, 0, np.ones((10, 10), bool), 2, "Fill")  # what a flood fill commits
    assert "class 2 dog" in window.position_label.text()
    window.document.undo()
    assert "class 1 cat" in window.position_label.text()
    window.canvas.cursor_moved.emit(-1, -1)
    assert window.position_label.text() == ""


def test_confidence_view_has_a_colour_key(qtbot, messages, project):
    window = _window(qtbot, project)
    legend = window.confidence_legend
    assert legend.isHidden()
    window.document.view.set_view_mode(ViewMode.CONFIDENCE)
    assert legend.isVisible() and "unsure" in legend.toolTip()
    ramp = legend.ramp.pixmap().toImage()
    left, right = ramp.pixelColor(0, 0), ramp.pixelColor(ramp.width() - 1, 0)
    assert left.red() > 200 and left.green() < 50 and right.green() > 200 and right.red() < 50
    window.document.view.set_view_mode(ViewMode.LABEL)
    assert legend.isHidden()


def test_title_has_no_trailing_space(qtbot, messages, project):
    window = _window(qtbot, project)
    shown = window.windowTitle().replace("[*]", "")
    assert shown == shown.strip() and shown.endswith("img_0.png")
