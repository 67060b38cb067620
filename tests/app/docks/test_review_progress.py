"""The image list's "N / M reviewed" count and status filter, and thumbnails of 16-bit and float TIFFs."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.docks.image_list import thumbnails
from app.docks.review_progress import StatusFilter
from app.window.main_window import MainWindow
from segmodels.labels.project import ImageStatus
from support.projects import make_project


@pytest.fixture
def window(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=4, labelled=1, predicted=1)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.open_path(project.root)
    yield window
    window.image_list.cancel_thumbnails()


def _visible(image_list) -> list[str]:
    widget = image_list.list_widget
    return [image_list.paths()[row].name for row in range(widget.count()) if not widget.isRowHidden(row)]


def test_count_follows_save_and_accept(qtbot, window):
    progress = window.image_list.review_progress
    qtbot.waitUntil(lambda: progress.count_label.text() == "1 / 4 reviewed")
    window.document.apply_mask(0, 0, np.ones((3, 3), bool), 2, "Fill")
    assert window.document.save()
    qtbot.waitUntil(lambda: progress.count_label.text() == "1 / 4 reviewed")  # img_0 was reviewed already
    window.image_list.step(1)  # img_1 has a proposal: accepting and saving makes it reviewed
    window.actions_by_name["accept_prediction"].trigger()
    window.actions_by_name["save"].trigger()
    qtbot.waitUntil(lambda: progress.count_label.text() == "2 / 4 reviewed")


def test_filter_by_status_hides_rows_and_paging_skips_them(qtbot, window):
    image_list = window.image_list
    progress = image_list.review_progress
    progress.set_filter(StatusFilter.UNREVIEWED)
    assert _visible(image_list) == ["img_1.png", "img_2.png", "img_3.png"]
    progress.set_filter(StatusFilter.PREDICTED)
    assert _visible(image_list) == ["img_1.png"]
    progress.set_filter(StatusFilter.REVIEWED)
    assert _visible(image_list) == ["img_0.png"]
    progress.set_filter(StatusFilter.EDITED)
    assert _visible(image_list) == []
    window.document.apply_mask(0, 0, np.ones((3, 3), bool), 2, "Fill")
    qtbot.waitUntil(lambda: _visible(image_list) == ["img_0.png"])
    progress.set_filter(StatusFilter.UNLABELLED)
    image_list.list_widget.setCurrentRow(2)  # img_2
    window.document.undo()
    image_list.set_status(image_list.paths()[3], ImageStatus.PREDICTED)
    qtbot.waitUntil(lambda: _visible(image_list) == ["img_2.png"])
    image_list.step(1)  # img_3 is hidden now: nothing to go to
    assert window.document.image_path.name == "img_2.png"
    progress.set_filter(StatusFilter.ALL)
    assert len(_visible(image_list)) == 4


@pytest.mark.parametrize("pixels", [
    np.tile(np.linspace(0, 60000, 64), (64, 1)).astype(np.uint16),  # 16-bit, a left-to-right ramp
    np.tile(np.linspace(0, 40000, 64), (64, 1)).astype(np.float32),  # float beyond 8-bit
])
def test_thumbnail_of_a_deep_tiff_is_not_flat(tmp_path, pixels):
    from segmodels.labels.imageio import read_image

    path = tmp_path / "deep.tif"
    Image.fromarray(pixels).save(path)
    [(found, qimage)] = list(thumbnails([path], lambda: False, side=32))
    assert found == path
    row = [qimage.pixelColor(x, 16).red() for x in range(qimage.width())]
    assert max(row) - min(row) > 100, row
    shown = read_image(path).rgb  # the canvas's conversion: the thumbnail is its small copy
    assert abs(int(shown[32, 63, 0]) - qimage.pixelColor(qimage.width() - 1, 16).red()) < 12
