"""File > Import… and File > Export… in the real window: Import sits below Open…, runs in the
background, and the imported project opens in the window when the user agrees."""
from __future__ import annotations

import pytest

from app.docks.export_dialog import ExportDialog
from app.docks.import_dialog import ImportDialog
from app.messages import Answer
from app.window.label_wiring import install_label_docks
from app.window.main_window import MainWindow
from support.annotations import COCO_CLASSES, make_coco_dataset

WAIT_MS = 20000


@pytest.fixture
def window(qtbot, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_label_docks(window)
    yield window
    docks.validation.shutdown()
    if window.image_list is not None:
        window.image_list.cancel_thumbnails()


def file_menu_texts(window) -> list[str]:
    (menu,) = [a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File"]
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def visible(window, kind):
    return [w for w in window.findChildren(kind) if w.isVisible()]


def test_the_file_menu_has_import_below_open_and_export(window):
    texts = file_menu_texts(window)
    assert texts[:2] == ["Open…", "Import…"] and "Export…" in texts
    assert window.actions_by_name["import"].shortcut().toString() == "Ctrl+Shift+I"


def test_import_then_open_the_project_in_the_window(qtbot, window, messages, tmp_path):
    annotations, images, expected = make_coco_dataset(tmp_path / "coco")
    window.actions_by_name["import"].trigger()
    (dialog,) = visible(window, ImportDialog)
    dialog.set_kind("coco")
    dialog.set_source(annotations)
    dialog.images_edit.setText(str(images))
    dialog.out_edit.setText(str(tmp_path / "project"))
    messages.answers = [Answer.YES]
    with qtbot.waitSignal(dialog.import_finished, timeout=WAIT_MS):
        assert dialog.start()
    qtbot.waitUntil(lambda: window.document.project is not None, timeout=WAIT_MS)
    assert window.document.project.root == tmp_path / "project"
    assert window.document.class_table.names == COCO_CLASSES
    assert not visible(window, ImportDialog)
    window.actions_by_name["export"].trigger()  # and straight back out, as COCO
    (export,) = visible(window, ExportDialog)
    export.set_export_format("coco")
    with qtbot.waitSignal(export.export_finished, timeout=WAIT_MS):
        assert export.start()
    assert (tmp_path / "project" / "export" / "project-coco.json").is_file()
    assert not messages.texts("error")
    export.reject()
