"""The window's image list: a label file with no labelled pixel (made by another tool) is not "reviewed"."""
from __future__ import annotations

import numpy as np
from PIL import Image

from app.window.main_window import MainWindow
from segmodels.labels.project import ImageStatus
from support.projects import HEIGHT, WIDTH, make_project


def test_a_blank_label_file_lists_as_unlabelled_and_waits_for_review(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=3, labelled=3)
    first, blank, third = project.image_paths()
    Image.fromarray(np.full((HEIGHT, WIDTH), 255, np.uint8)).save(project.label_path(blank))
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(project.root)
    image_list = window.image_list
    try:
        assert [image_list.status(path) for path in (first, blank, third)] == [
            ImageStatus.REVIEWED, ImageStatus.UNLABELLED, ImageStatus.REVIEWED]
        row = image_list.paths().index(blank)
        assert image_list.list_widget.item(row).text().endswith("unlabelled")
        image_list.list_widget.setCurrentRow(image_list.paths().index(first))
        assert image_list.next_unreviewed() and window.document.image_path == blank  # N goes to it
    finally:
        image_list.cancel_thumbnails()
