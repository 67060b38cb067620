"""A Cityscapes root, made as cityscapesScripts makes it, in the real window: it opens with the 19
classes in their official colours, the status bar says what was recognised, its images are listed
from every split and city, an edit saved keeps the labelIds file's kind and every untouched pixel,
and the validation dock checks the labelIds files (docs/formats.md, "Cityscapes")."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from app.docks.classes import COLOR_COLUMN, NAME_COLUMN
from app.docks.validation import Scope
from app.window.label_wiring import install_label_docks
from app.window.main_window import MainWindow
from segmodels.labels.classes import cityscapes_classes
from segmodels.labels.project import ImageStatus, Project
from support.cityscapes import label_file, make_cityscapes, stored

CAR = 13


@pytest.fixture
def root(tmp_path):
    make_cityscapes(tmp_path / "cityscapes", ("labelIds", "color"))
    return tmp_path / "cityscapes"


@pytest.fixture
def window(qtbot, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_label_docks(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    docks.validation.shutdown()
    if window.image_list is not None:
        window.image_list.cancel_thumbnails()


def open_root(window, root) -> list[str]:
    said: list[str] = []
    window.document.status_message.connect(said.append)
    assert window.open_path(root)
    return said


def test_root_opens_with_the_cityscapes_classes_and_says_so(window, root):
    said = open_root(window, root)
    project = window.document.project
    assert any(text.startswith("Cityscapes layout (leftImg8bit/ + gtFine/), labelIds files read as the 19 train ids")
               for text in said), said
    assert window.document.class_table == cityscapes_classes()
    dock = window.label_docks.classes
    names = [dock.table.item(row, NAME_COLUMN).text() for row in range(dock.table.rowCount())]
    colours = [tuple(dock.table.item(row, COLOR_COLUMN).data(Qt.ItemDataRole.UserRole))
               for row in range(dock.table.rowCount())]
    assert names == cityscapes_classes().names and names[0] == "road" and names[-1] == "bicycle"
    assert colours[0] == (128, 64, 128) and colours[13] == (0, 0, 142)  # road, car: the official colours
    assert window.image_list.paths() == project.image_paths() and len(project.image_paths()) == 4
    assert all(window.image_list.status(p) is ImageStatus.REVIEWED for p in project.image_paths())


def test_edit_and_save_keeps_labelids_and_untouched_pixels(window, root):
    open_root(window, root)
    image = window.document.image_path
    file = label_file(root, image, "labelIds")
    before = stored(file)
    old = window.document.label_map.copy()
    window.document.apply_mask(2, 3, np.ones((6, 9), bool), CAR, "Fill")
    window.actions_by_name["save"].trigger()
    assert not window.document.is_dirty
    changed = window.document.label_map != old
    after = stored(file)
    assert Image.open(file).mode == "L" and changed.any()
    assert np.array_equal(after[~changed], before[~changed])  # ego vehicle, static... kept as they were
    assert (after[changed] == 26).all()  # car's label id
    assert np.array_equal(Project.open(root).read_label(image), window.document.label_map)


def test_validation_dock_checks_the_labelids_files(qtbot, window, root):
    images = Project.open(root).image_paths()
    bad = label_file(root, images[2], "labelIds")
    ids = stored(bad)
    ids[4, 4] = 40
    Image.fromarray(ids, mode="L").save(bad)
    open_root(window, root)
    dock = window.label_docks.validation
    with qtbot.waitSignal(dock.validation_finished, timeout=10000):
        assert dock.start(Scope.PROJECT)
    assert "4 label file(s) checked: 1 problem(s) in 1 file(s)" in dock.summary.text()
    assert [window.image_list.status(p) for p in images] == [ImageStatus.REVIEWED] * 2 + [ImageStatus.INVALID,
                                                                                          ImageStatus.REVIEWED]
