"""after_first_paint: the callback runs once, only after the widget's first Paint event, or after
the fallback delay for a widget that is never painted."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

import app.startup.first_paint
from app.startup.first_paint import after_first_paint


def test_callback_waits_for_the_first_paint_and_runs_once(qtbot):
    label = QLabel("x")
    qtbot.addWidget(label)
    calls = []
    after_first_paint(label, lambda: calls.append(label.isVisible()))
    qtbot.wait(20)
    assert calls == []  # not shown, not painted: nothing yet
    label.show()
    qtbot.waitUntil(lambda: calls == [True], timeout=2000)
    label.update()
    label.repaint()
    qtbot.wait(50)
    assert calls == [True]  # later paints do not call it again


def test_a_widget_never_painted_still_gets_its_callback(qtbot, monkeypatch):
    monkeypatch.setattr(app.startup.first_paint, "FALLBACK_MS", 30)
    label = QLabel("hidden")
    qtbot.addWidget(label)
    calls = []
    after_first_paint(label, lambda: calls.append("ran"))
    qtbot.waitUntil(lambda: calls == ["ran"], timeout=2000)
    qtbot.wait(50)
    assert calls == ["ran"]


def test_no_callback_for_a_widget_that_is_gone(qtbot, monkeypatch):
    monkeypatch.setattr(app.startup.first_paint, "FALLBACK_MS", 30)
    label = QLabel("gone")
    calls = []
    after_first_paint(label, lambda: calls.append("ran"))
    label.deleteLater()
    qtbot.wait(100)
    assert calls == []
