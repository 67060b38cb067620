"""After choosing from a toolbar combo or releasing a toolbar slider, the canvas has the keyboard again:
Space starts a pan there instead of opening the class list."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.window.main_window import MainWindow
from support.projects import make_project


@pytest.fixture
def window(qtbot, tmp_path, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1400, 800)  # the whole toolbar on screen, none of it in the overflow menu
    window.show()
    qtbot.waitExposed(window)
    assert window.open_path(make_project(tmp_path / "proj", count=2).root)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    yield window
    window.image_list.cancel_thumbnails()


def test_choosing_a_class_in_the_toolbar_gives_the_keyboard_back_to_the_image(window, qtbot):
    combo = window.class_combo
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    combo.showPopup()
    view = combo.view()
    QTest.keyClick(view, Qt.Key.Key_Down)
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert window.document.view.active_class == 2
    qtbot.waitUntil(window.canvas.hasFocus)
    QTest.keyPress(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert QApplication.activePopupWidget() is None and window.canvas._space_down
    QTest.keyRelease(QApplication.focusWidget(), Qt.Key.Key_Space)


def test_releasing_a_toolbar_slider_gives_the_keyboard_back_to_the_image(window, qtbot):
    slider = window.brush_slider
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus)
    slider.sliderReleased.emit()  # what a mouse release on the handle emits
    qtbot.waitUntil(window.canvas.hasFocus)
