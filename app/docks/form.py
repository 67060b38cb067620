"""Small layout helpers shared by the docks."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget


def form_row(*widgets: QWidget) -> QWidget:
    """The widgets side by side, without margins (one form row holding several controls)."""
    container = QWidget()
    layout = QHBoxLayout(container)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return container
