"""Small layout helpers shared by the docks."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget


def form_row(*widgets: QWidget) -> QWidget:
    """The widgets side by side, without margins (one form row holding several controls)."""
    container = QWidget()
    layout = QHBoxLayout(container)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return container


def narrow_combo(combo: QComboBox, characters: int = 14) -> None:
    """A combo box as wide as `characters` letters, not its longest entry (a checkpoint name, a
    sentence): with entries that long, the dock was wider than a small screen. The full text shows
    in the open list."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
