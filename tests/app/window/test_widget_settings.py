"""Settings the window's widgets make at construction: slider orientation, shortcuts, the canvas's
scroll bars, focus and background, and fit-to-window (Qt's `fitInView`, 2 px margin, centred)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QPoint, QRectF, Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QSlider

from app.canvas.tools import ToolController
from app.canvas.view import BACKGROUND, Canvas
from app.document.label_document import LabelDocument
from app.window.main_window import MainWindow
from app.window.toolbar import BrushSizeSlider, OpacitySlider, make_tool_actions


def test_toolbar_sliders_are_horizontal_and_keep_their_parent(qtbot):
    document = LabelDocument()
    tools = ToolController(document)
    parent = QSlider()
    qtbot.addWidget(parent)
    for slider in (OpacitySlider(document, parent), BrushSizeSlider(tools, parent)):
        assert slider.orientation() == Qt.Orientation.Horizontal and slider.parent() is parent


def test_tool_actions_have_their_keys():
    tools = ToolController(LabelDocument())
    parent = QObject()  # owns the actions: kept alive for the test
    actions = make_tool_actions(tools, parent)
    keys = [a.shortcut() for a in (actions.brush, actions.eraser, actions.fill, actions.grow, actions.shrink)]
    assert keys == [QKeySequence(k) for k in ("B", "E", "F", "]", "[")]
    assert [a.shortcut() for a in actions.class_keys] == [QKeySequence(k) for k in "1234567890`"]


def test_main_window_actions_have_their_shortcuts(qtbot, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    shortcut = {name: action.shortcut() for name, action in window.actions_by_name.items()}
    assert shortcut["save"] == QKeySequence(QKeySequence.StandardKey.Save)
    assert shortcut["open"] == QKeySequence(QKeySequence.StandardKey.Open)
    assert shortcut["save_all"] == QKeySequence("Ctrl+Alt+S") and shortcut["fit"] == QKeySequence("Ctrl+0")
    assert shortcut["undo"] == QKeySequence("Ctrl+Z")


@pytest.fixture
def canvas(qtbot):
    document = LabelDocument()
    canvas = Canvas(document, ToolController(document))
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def test_canvas_hides_scroll_bars_takes_focus_and_paints_its_background(canvas):
    assert canvas.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert canvas.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert canvas.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert canvas.viewport().palette().color(QPalette.ColorRole.Base) == BACKGROUND
    corner = canvas.viewport().grab().toImage().pixelColor(QPoint(1, 1))  # no scene item there
    assert corner.rgb() == BACKGROUND.rgb()


@pytest.mark.parametrize("rect", [QRectF(0, 0, 60, 40), QRectF(0, 0, 30, 300), QRectF(0, 0, 8192, 8192)])
def test_fit_to_window_fits_the_scene_centred_with_a_2px_margin(qtbot, canvas, rect):
    canvas.scene().setSceneRect(rect)
    canvas.set_zoom(7.0)
    with qtbot.waitSignal(canvas.zoom_changed) as zoom:
        canvas.fit_to_window()
    view = canvas.viewport().rect()
    expected = min((view.width() - 4) / rect.width(), (view.height() - 4) / rect.height())
    assert canvas.transform().m11() == pytest.approx(expected, rel=1e-6)
    assert canvas.transform().m22() == pytest.approx(expected, rel=1e-6)
    assert zoom.args[0] == pytest.approx(expected, rel=1e-6)
    centre, slack = canvas.mapToScene(view.center()), 1.5 / expected  # within 1.5 screen pixels (rounding)
    assert abs(centre.x() - rect.center().x()) <= slack and abs(centre.y() - rect.center().y()) <= slack
