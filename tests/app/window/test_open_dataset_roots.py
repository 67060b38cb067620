"""Opening an ADE20K or mmseg root in the window: the status bar says what was recognised, the classes
dock lists the dataset's classes, the validation dock names its table, and painting then saving keeps
the label grey with every untouched pixel as it was."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.docks.classes import NAME_COLUMN
from app.docks.validation import Scope
from app.window.label_wiring import install_label_docks
from app.window.main_window import MainWindow
from support.splits_datasets import make_ade20k, make_mmseg


@pytest.fixture
def window(qtbot, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_label_docks(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    docks.validation.shutdown()
    window.image_list.cancel_thumbnails()


def test_ade_root_opens_with_its_classes_and_saves_grey(qtbot, window, tmp_path):
    labels = make_ade20k(tmp_path)
    root = tmp_path / "ADEChallengeData2016"
    assert window.open_path(root)
    notice = window.statusBar().currentMessage()
    assert "ADE20K" in notice and "objectInfo150.csv" in notice
    classes = window.label_docks.classes.table
    assert classes.rowCount() == 151
    assert [classes.item(row, NAME_COLUMN).text() for row in range(3)] == ["other", "wall", "building"]
    table_line = window.label_docks.validation.table_label.text()
    assert table_line.startswith("Class table: the ade20k dataset layout (151 classes)")
    assert "objectInfo150" in table_line

    document = window.document
    qtbot.waitUntil(lambda: document.label_map is not None, timeout=5000)
    image = document.image_path
    assert image == root / "images" / "training" / "ADE_train_00000001.jpg"
    label_file = root / "annotations" / "training" / "ADE_train_00000001.png"
    np.testing.assert_array_equal(document.label_map, labels[label_file])  # 0 shown as class 0 "other"

    document.apply_mask(2, 3, np.ones((4, 5), bool), 42, "Fill")
    window.actions_by_name["save"].trigger()
    qtbot.waitUntil(lambda: not window.isWindowModified(), timeout=5000)
    with Image.open(label_file) as stored:
        assert stored.mode == "L"
        values = np.array(stored)
    expected = labels[label_file].copy()
    expected[2:6, 3:8] = 42
    np.testing.assert_array_equal(values, expected)
    assert not (root / "segstudio.json").exists()


def test_validation_dock_checks_every_split(qtbot, window, tmp_path):
    make_ade20k(tmp_path)
    root = tmp_path / "ADEChallengeData2016"
    bad = root / "annotations" / "validation" / "ADE_val_00000001.png"
    values = np.array(Image.open(bad))
    values[0, 1] = 200
    Image.fromarray(values, mode="L").save(bad)
    assert window.open_path(root)
    dock = window.label_docks.validation
    with qtbot.waitSignal(dock.validation_finished, timeout=10000):
        assert dock.start(Scope.PROJECT)
    assert "4 label file(s) checked: 1 problem(s) in 1 file(s)" in dock.summary.text()
    problem, image = dock.problem_at(0)
    assert problem.kind.value == "index_out_of_range"
    assert image == root / "images" / "validation" / "ADE_val_00000001.jpg"


def test_mmseg_root_says_where_its_classes_came_from(qtbot, window, tmp_path):
    make_mmseg(tmp_path / "data", top=3)
    assert window.open_path(tmp_path / "data")
    assert "mmseg" in window.statusBar().currentMessage()
    assert window.label_docks.classes.table.rowCount() == 4
    assert "mmseg dataset layout (4 classes)" in window.label_docks.validation.table_label.text()
