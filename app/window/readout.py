"""`PixelReadout`: the status bar's "x 12, y 40  class 1 cat  (prediction 2 dog)  confidence 0.83".

It follows the cursor, and also the pixels under a cursor that stands still: a fill, an accepted
proposal or an undo changes the class under it without a mouse move, and the readout says so at once.
Empty outside the image and after the image changes (the old position described the previous one).
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from segmodels.constants import IGNORE_INDEX


class PixelReadout(QLabel):
    def __init__(self, document, canvas, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.document = document
        self.setAccessibleName("Pixel readout")
        self._position: tuple[int, int] = (-1, -1)
        canvas.cursor_moved.connect(self.show_position)
        document.label_changed.connect(self._on_label_changed)
        document.prediction_changed.connect(self.refresh)
        document.classes_changed.connect(self.refresh)
        document.image_changed.connect(lambda: self.show_position(-1, -1))

    def show_position(self, x: int, y: int) -> None:
        self._position = (x, y)
        self.refresh()

    def _on_label_changed(self, y0: int, x0: int, y1: int, x1: int) -> None:
        x, y = self._position
        if y0 <= y < y1 and x0 <= x < x1:
            self.refresh()

    def refresh(self) -> None:
        x, y = self._position
        self.setText(self.describe(x, y))

    def describe(self, x: int, y: int) -> str:
        """Position, the class there (and the prediction and confidence); empty outside the image."""
        doc = self.document
        if x < 0 or doc.class_table is None:
            return ""
        value = doc.label_at(y, x)
        text = f"x {x}, y {y}  "
        if value is not None and value < len(doc.class_table):
            text += f"class {value} {doc.class_table[value].name}"
        elif value is not None:
            text += "unlabelled" if value == IGNORE_INDEX else f"invalid value {value}"
        predicted = doc.prediction_at(y, x)
        if predicted is not None and predicted < len(doc.class_table):
            text += f"  (prediction {predicted} {doc.class_table[predicted].name})"
        confidence = doc.confidence_at(y, x)
        if confidence is not None:
            text += f"  confidence {confidence:.2f}"
        return text
