"""Issue 15, the correction loop as a new user meets it in the window: a stroke on the shown proposal
keeps it, saving an untouched unlabelled image does not make it "reviewed", a ranking's scores show
in the list and N walks the unreviewed images in ranked order."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.canvas.tools import Tool
from app.document.label_document import ViewMode
from app.window.main_window import MainWindow
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import ImageStatus
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    """img_0 reviewed, img_1 and img_2 with a proposal (all class 2), img_3 with nothing."""
    return make_project(tmp_path / "proj", count=4, labelled=1, predicted=2)


@pytest.fixture
def window(qtbot, project, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_path(project.root)
    yield window
    window.image_list.cancel_thumbnails()


def test_a_brush_stroke_on_the_shown_proposal_keeps_it_and_saves_as_reviewed(window, project, qtbot):
    window.image_list.next_action.trigger()
    doc, image = window.document, project.image_paths()[1]
    assert doc.image_path == image and doc.view.view_mode is ViewMode.PREDICTION
    window.tools.set_brush_size(1)
    doc.view.set_active_class(1)
    canvas = window.canvas
    point = canvas.mapFromScene(10.5, 5.5)
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert doc.view.view_mode is ViewMode.LABEL
    assert doc.label_map[5, 10] == 1 and int((doc.label_map == 2).sum()) == doc.label_map.size - 1
    window.actions_by_name["save"].trigger()
    assert read_label_png(project.label_path(image))[0, 0] == 2
    assert window.image_list.status(image) is ImageStatus.REVIEWED


def test_saving_an_untouched_unlabelled_image_leaves_it_unreviewed(window, project, messages):
    image = project.image_paths()[3]
    window.image_list.list_widget.setCurrentRow(3)
    assert window.document.image_path == image and (window.document.label_map == IGNORE_INDEX).all()
    window.actions_by_name["save"].trigger()
    assert not project.label_path(image).exists()
    assert window.image_list.status(image) is ImageStatus.UNLABELLED
    assert any("img_3.png" in text and "no labelled pixel" in text for text in messages.texts("warning"))


def test_the_accept_region_key_picks_the_tool(window):
    window.tool_actions.accept_region.trigger()
    assert window.tools.tool is Tool.ACCEPT_REGION and window.tool_actions.accept_region.isChecked()
    assert window.tool_actions.accept_region.shortcut().toString() == "A"


def test_n_walks_the_unreviewed_images_in_ranked_order(window, project, messages):
    images = project.image_paths()
    image_list = window.image_list
    image_list.set_order([images[2], images[3], images[1], images[0]],
                         {images[2]: "9.0% unsure", images[1]: "1.0% unsure"})
    assert "9.0% unsure" in image_list.list_widget.item(0).text()
    assert window.document.image_path == images[0]  # reviewed, last in the ranking
    assert image_list.next_unreviewed_action.shortcut().toString() == "N"
    image_list.next_unreviewed_action.trigger()
    assert window.document.image_path == images[2]
    image_list.next_unreviewed_action.trigger()
    assert window.document.image_path == images[3]
    window.document.apply_mask(0, 0, np.ones((3, 3), bool), 1, "Brush")
    assert window.document.save()                   # img_3 becomes reviewed...
    image_list.next_unreviewed_action.trigger()
    assert window.document.image_path == images[1]
    image_list.next_unreviewed_action.trigger()     # ...so it is skipped when the walk wraps round
    assert window.document.image_path == images[2]
    assert "unsure" not in image_list.list_widget.item(1).text()  # a reviewed image shows no score
