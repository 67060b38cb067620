"""The image keeps the keyboard after a toolbar control is used: `keep_canvas_focus(bar, canvas)`.

A toolbar combo box (class, view) or slider (size, opacity) keeps the focus after a click, and then
the canvas's own keys went to it instead: Space opened the class list rather than panning (and the drag
that followed painted), Enter, Esc and Backspace missed an open polygon or prompt. Window-wide shortcuts
(B, 1-9, [ ]) were not affected; only keys the canvas reads itself. Once the user has chosen (a combo's
`activated`, a slider released) the focus goes back to the canvas.
"""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractSlider, QComboBox, QToolBar, QWidget


def keep_canvas_focus(bar: QToolBar, canvas: QWidget) -> None:
    for combo in bar.findChildren(QComboBox):
        combo.activated.connect(lambda _index: canvas.setFocus())
    for slider in bar.findChildren(QAbstractSlider):
        slider.sliderReleased.connect(canvas.setFocus)
