"""`ConfidenceLegend`: the colour key of the confidence view, in the status bar while that view shows.

The ramp is painted from the canvas's own table (segmodels.labels.colortable.confidence_color_table, at
full opacity), so the key cannot disagree with the picture: red = unsure (0), green = sure (1).
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.document.label_document import LabelDocument, ViewMode
from segmodels.labels.colortable import confidence_color_table

RAMP_WIDTH, RAMP_HEIGHT = 120, 12


def ramp_image(width: int = RAMP_WIDTH, height: int = RAMP_HEIGHT) -> QImage:
    """Confidence 0 on the left to 1 on the right, in the confidence view's colours (opaque)."""
    table = confidence_color_table(1.0)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    for x in range(width):
        level = round(x * 255 / max(width - 1, 1))
        color = QColor.fromRgba(table[level])
        color.setAlpha(255)
        for y in range(height):
            image.setPixelColor(x, y, color)
    return image


class ConfidenceLegend(QWidget):
    def __init__(self, document: LabelDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.ramp = QLabel(self)
        self.ramp.setPixmap(QPixmap.fromImage(ramp_image()))
        for widget in (QLabel("unsure 0", self), self.ramp, QLabel("1 sure", self)):
            layout.addWidget(widget)
        text = "Confidence view: red where the model is unsure (0), green where it is sure (1)"
        self.setToolTip(text)
        self.setAccessibleName("Confidence colour key")
        self.setAccessibleDescription(text)
        document.view.view_mode_changed.connect(self._follow)
        self._follow(document.view.view_mode)

    def _follow(self, mode: ViewMode) -> None:
        self.setVisible(mode is ViewMode.CONFIDENCE)
