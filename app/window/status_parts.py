"""The main window's status bar: `build_status_bar(window)`.

Left: the passing messages (8 s; the whole text in the tooltip, since a long one is cut at the window's
edge) and the crash-recovery notice, which stays until dismissed (NoticeBar). Right: the pixel readout,
the confidence view's colour key (only in that view) and the zoom.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from app.window.confidence_legend import ConfidenceLegend
from app.window.notice_bar import NoticeBar
from app.window.readout import PixelReadout


def build_status_bar(window: Any) -> None:
    bar = window.statusBar()
    bar.messageChanged.connect(lambda text: bar.setToolTip(text))
    window.notice_bar = NoticeBar(bar)
    window.autosave.restore_notice.connect(window.notice_bar.show_notice)
    if window.autosave.last_notice:  # restored before the status bar was built (a deferred chrome)
        window.notice_bar.show_notice(window.autosave.last_notice)
    window.position_label = PixelReadout(window.document, window.canvas)
    window.confidence_legend = ConfidenceLegend(window.document)
    window.zoom_label = QLabel("")
    window.zoom_label.setToolTip("Zoom (Ctrl+0 fits the image, Ctrl+1 shows actual pixels)")
    for widget in (window.position_label, window.confidence_legend, window.zoom_label):
        bar.addPermanentWidget(widget)
    show_zoom = lambda zoom: window.zoom_label.setText(f"zoom {zoom * 100:.0f}%")  # noqa: E731
    window.canvas.zoom_changed.connect(show_zoom)
    show_zoom(window.canvas.zoom)
