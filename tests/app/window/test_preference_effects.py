"""Edit > Preferences… beyond the undo cap (issue 17, item 2): autosave interval, default device,
thumbnail size, unlabelled tint and the SAM weights file and model type. Each is stored under its key
and takes effect: at once on OK, and on the next start from the stored value."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.preferences import (
    AUTOSAVE_SECONDS,
    DEFAULT_DEVICE,
    SAM_MODEL_TYPE,
    SAM_WEIGHTS_PATH,
    THUMBNAIL_PX,
    UNLABELLED_TINT,
    Preferences,
)
from app.startup.gui import create_window
from app.window.preferences_dialog import PreferencesDialog
from support.projects import make_project


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path / "proj", count=3)
    big = np.full((200, 300, 3), 120, np.uint8)  # larger than any thumbnail: its size shows the setting
    Image.fromarray(big).save(project.images_dir / "img_big.png")
    return project


def thumbnail_size(window, name: str = "img_big.png") -> QSize | None:
    item = window.image_list.list_widget.findItems(name, Qt.MatchFlag.MatchStartsWith)[0]
    sizes = item.icon().availableSizes()
    return sizes[0] if sizes else None


def start(qtbot, project):
    window = create_window(str(project.root))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_dialog(qtbot, window) -> PreferencesDialog:
    window.actions_by_name["preferences"].trigger()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(PreferencesDialog)))
    return next(d for d in window.findChildren(PreferencesDialog) if d.isVisible())


def press_ok(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def icon_side(window) -> int:
    return window.image_list.list_widget.iconSize().width()


def test_the_keys_other_parts_read_are_fixed():
    assert (SAM_WEIGHTS_PATH.key, SAM_MODEL_TYPE.key, UNLABELLED_TINT.key) == (
        "sam/weights_path", "sam/model_type", "view/unlabelled_tint")


def test_each_setting_has_a_one_line_explanation(qtbot, project, messages):
    window = start(qtbot, project)
    dialog = open_dialog(qtbot, window)
    from PySide6.QtWidgets import QLabel

    notes = [label.text() for label in dialog.findChildren(QLabel) if label.wordWrap()]
    assert len(notes) == 7 and all(note.endswith(".") and "\n" not in note for note in notes)
    window.image_list.cancel_thumbnails()


def test_ok_stores_every_change_and_it_takes_effect_at_once(qtbot, project, messages, tmp_path):
    window = start(qtbot, project)
    model, training = window.model_docks.model, window.model_docks.training
    changed = []
    window.preferences_changed.connect(changed.append)
    assert window.autosave.timer.interval() == 1000 and model.device_combo.currentText() == "auto"
    assert icon_side(window) == 64
    qtbot.waitUntil(lambda: thumbnail_size(window) == QSize(64, 43))  # 300 x 200 made 64 wide
    weights = tmp_path / "sam_vit_l.pth"
    weights.write_bytes(b"not read here")
    messages.files = [weights]

    dialog = open_dialog(qtbot, window)
    dialog.autosave.setValue(30)
    dialog.device.setCurrentText("cpu")
    dialog.thumbnail.setValue(128)
    assert window.canvas.label_style.show_unlabelled  # on by default
    dialog.unlabelled_tint.setChecked(False)
    qtbot.mouseClick(dialog.sam_choose, Qt.MouseButton.LeftButton)  # the file picker (a seam in tests)
    assert dialog.sam_weights.text() == str(weights)
    dialog.sam_model_type.setCurrentText("vit_l")
    press_ok(qtbot, dialog)

    stored = Preferences()
    kept = [stored.read(s) for s in (AUTOSAVE_SECONDS, DEFAULT_DEVICE, THUMBNAIL_PX, UNLABELLED_TINT,
                                     SAM_WEIGHTS_PATH, SAM_MODEL_TYPE)]
    assert kept == [30, "cpu", 128, False, str(weights), "vit_l"]
    assert not window.canvas.label_style.show_unlabelled  # the canvas follows at once
    assert window.autosave.timer.interval() == 30_000
    assert model.device_combo.currentText() == "cpu" and training.device_combo.currentText() == "cpu"
    assert icon_side(window) == 128
    qtbot.waitUntil(lambda: thumbnail_size(window) == QSize(128, 85))  # remade at the new size
    assert changed[-1] == {s.key for s in (AUTOSAVE_SECONDS, DEFAULT_DEVICE, THUMBNAIL_PX, UNLABELLED_TINT,
                                          SAM_WEIGHTS_PATH, SAM_MODEL_TYPE)}
    assert messages.texts("warning") == []
    window.image_list.cancel_thumbnails()


def test_an_unrelated_change_keeps_the_device_picked_in_a_dock(qtbot, project, messages):
    window = start(qtbot, project)
    window.model_docks.model.device_combo.setCurrentText("cpu")  # this session only
    dialog = open_dialog(qtbot, window)
    dialog.autosave.setValue(5)
    press_ok(qtbot, dialog)
    assert window.model_docks.model.device_combo.currentText() == "cpu"
    assert window.autosave.timer.interval() == 5000
    window.image_list.cancel_thumbnails()


def test_stored_preferences_apply_to_the_next_window(qtbot, project, messages):
    preferences = Preferences()
    preferences.store(AUTOSAVE_SECONDS, 12)
    preferences.store(DEFAULT_DEVICE, "cpu")
    preferences.store(THUMBNAIL_PX, 96)
    window = start(qtbot, project)
    assert window.autosave.timer.interval() == 12_000
    assert window.model_docks.model.device_combo.currentText() == "cpu"
    assert window.model_docks.training.device_combo.currentText() == "cpu"
    assert window.image_list.list_widget.iconSize() == QSize(96, 96)
    window.image_list.cancel_thumbnails()


def test_a_stored_device_or_model_type_that_is_not_a_choice_reads_as_the_default(qtbot, project, messages):
    from PySide6.QtCore import QSettings

    settings = QSettings("segstudio", "segstudio")
    settings.setValue(DEFAULT_DEVICE.key, "tpu")
    settings.setValue(SAM_MODEL_TYPE.key, "vit_x")
    settings.setValue(UNLABELLED_TINT.key, "maybe")
    assert Preferences().read(DEFAULT_DEVICE) == "auto" and Preferences().read(SAM_MODEL_TYPE) == "auto"
    assert Preferences().read(UNLABELLED_TINT) is True  # the default
    window = start(qtbot, project)
    assert window.model_docks.model.device_combo.currentText() == "auto"
    window.image_list.cancel_thumbnails()


@pytest.mark.parametrize("setting, value", [(DEFAULT_DEVICE, "tpu"), (UNLABELLED_TINT, "yes"), (SAM_WEIGHTS_PATH, 3)])
def test_storing_a_value_of_the_wrong_kind_is_refused(setting, value):
    with pytest.raises(ValueError):
        Preferences().store(setting, value)


def test_the_u_key_tints_and_is_remembered_for_the_next_window(qtbot, project, messages):
    window = start(qtbot, project)
    assert window.canvas.label_style.show_unlabelled
    window.style_actions.unlabelled.trigger()  # what U does
    assert not window.canvas.label_style.show_unlabelled
    assert Preferences().read(UNLABELLED_TINT) is False
    window.image_list.cancel_thumbnails()
    window.close()
    again = start(qtbot, project)
    assert not again.canvas.label_style.show_unlabelled
    again.image_list.cancel_thumbnails()
