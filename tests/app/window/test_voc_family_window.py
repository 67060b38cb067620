"""A labelme2voc root and a CVAT root open in the window with their own classes and colours, say where
the classes came from, and save edits in each file's own encoding with untouched pixels identical."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.window.main_window import MainWindow
from support.voc_trees import CVAT_LABELMAP, LABELME_NAMES, cvat_label, labelme_label, make_cvat_tree, make_labelme_tree


@pytest.fixture
def open_window(qtbot, messages):
    windows = []

    def opener(root):
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert window.open_path(root)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.image_list.cancel_thumbnails()


def _edit_and_save(window) -> tuple[np.ndarray, np.ndarray, Path]:
    """(stored pixels before, after, the file) of the open label after painting class 2 into a corner and saving."""
    document = window.document
    path = document.project.label_path(document.image_path)
    before = np.array(Image.open(path))
    document.apply_mask(4, 4, np.ones((3, 3), bool), 2, "Fill")
    window.actions_by_name["save"].trigger()
    return before, np.array(Image.open(path)), path


def test_labelme_root_in_the_window(open_window, tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=1)})
    window = open_window(root)
    table = window.document.class_table
    assert table.names == LABELME_NAMES and table[1].name == "person"
    assert "class_names.txt" in window.statusBar().currentMessage()
    before, after, path = _edit_and_save(window)
    assert Image.open(path).mode == "P"
    untouched = np.ones(after.shape, bool)
    untouched[4:7, 4:7] = False
    assert np.array_equal(after[untouched], before[untouched]) and (after[4:7, 4:7] == 2).all()


def test_cvat_root_in_the_window(open_window, tmp_path):
    root = make_cvat_tree(tmp_path / "cvat", {"frame_000000": cvat_label(seed=0)})
    window = open_window(root)
    table = window.document.class_table
    assert [(c.name, c.color) for c in table] == CVAT_LABELMAP
    assert "labelmap.txt" in window.statusBar().currentMessage()
    before, after, path = _edit_and_save(window)
    assert Image.open(path).mode == "RGB"
    untouched = np.ones(after.shape[:2], bool)
    untouched[4:7, 4:7] = False
    assert np.array_equal(after[untouched], before[untouched])
    assert (after[4:7, 4:7] == CVAT_LABELMAP[2][1]).all()
