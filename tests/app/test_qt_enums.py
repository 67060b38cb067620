"""The settings made without naming PySide's `Qt` namespace (app/qt_enums.py) are the settings
that naming it would have made: scroll bars, focus, slider orientation, shortcuts, background and
fit-to-window."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import QGraphicsView, QSlider

from app.canvas.tools import ToolController
from app.canvas.view import BACKGROUND, Canvas
from app.document.label_document import LabelDocument
from app.qt_enums import set_enum_property, set_shortcut
from app.window.toolbar import BrushSizeSlider, OpacitySlider


def test_set_enum_property_sets_the_named_value_and_rejects_a_wrong_key(qtbot):
    slider = QSlider()
    qtbot.addWidget(slider)
    assert slider.orientation() == Qt.Orientation.Vertical
    set_enum_property(slider, "orientation", "Horizontal")
    assert slider.orientation() == Qt.Orientation.Horizontal
    with pytest.raises(ValueError, match="Sideways"):
        set_enum_property(slider, "orientation", "Sideways")
    with pytest.raises(ValueError, match="direction"):
        set_enum_property(slider, "direction", "Horizontal")


@pytest.mark.parametrize("key, expected", [("Ctrl+Shift+S", QKeySequence("Ctrl+Shift+S")),
                                           ("]", QKeySequence("]")),
                                           (QKeySequence.StandardKey.Save, QKeySequence("Ctrl+S")),
                                           (QKeySequence("Ctrl+Q"), QKeySequence("Ctrl+Q"))])
def test_set_shortcut_gives_the_action_that_shortcut(key, expected):
    action = QAction("x")
    set_shortcut(action, key)
    assert action.shortcut() == expected


def test_toolbar_sliders_are_horizontal_and_keep_their_parent(qtbot):
    document = LabelDocument()
    tools = ToolController(document)
    parent = QSlider()
    qtbot.addWidget(parent)
    for slider in (OpacitySlider(document, parent), BrushSizeSlider(tools, parent)):
        assert slider.orientation() == Qt.Orientation.Horizontal and slider.parent() is parent


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
def test_fit_to_window_matches_qt_fit_in_view(canvas, rect):
    canvas.scene().setSceneRect(rect)
    canvas.set_zoom(7.0)
    canvas.fit_to_window()
    ours = (canvas.transform().m11(), canvas.transform().m22(), canvas.mapToScene(canvas.viewport().rect().center()))
    QGraphicsView.fitInView(canvas, rect, Qt.AspectRatioMode.KeepAspectRatio)
    qts = (canvas.transform().m11(), canvas.transform().m22(), canvas.mapToScene(canvas.viewport().rect().center()))
    assert ours[0] == pytest.approx(qts[0], rel=1e-6) and ours[1] == pytest.approx(qts[1], rel=1e-6)
    assert abs(ours[2].x() - qts[2].x()) <= 1 / ours[0] and abs(ours[2].y() - qts[2].y()) <= 1 / ours[0]
