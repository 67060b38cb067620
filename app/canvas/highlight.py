"""An overlay on the canvas that marks pixels, e.g. the invalid pixels the validator found.

`HighlightOverlay(canvas)` adds two items to the canvas's scene, above the label layer: an Indexed8
layer over a 0/1 mask (1 = opaque magenta, 0 = transparent; the same pyramid drawing as the label
layer, so a frame costs what the window costs) and a dashed rectangle around the marked pixels with a
one-screen-pixel pen, which stays visible when a single bad pixel is far smaller than a screen pixel.
It clears itself when the document shows another image, since a mask belongs to one label map.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from app.canvas.layers import IndexedLayer
from segmodels.labels.blend import HIGHLIGHT_COLOR
from segmodels.labels.edits import bounding_box

HIGHLIGHT_Z = 3  # above the image (0), the label layer (1) and the brush outline (2)


def _highlight_table() -> list[int]:
    r, g, b = HIGHLIGHT_COLOR
    return [0, (255 << 24) | (r << 16) | (g << 8) | b] + [0] * 254


class HighlightOverlay:
    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.layer = IndexedLayer()
        self.layer.setZValue(HIGHLIGHT_Z)
        self.layer.set_color_table(_highlight_table())
        self.frame = QGraphicsRectItem()
        pen = QPen(QColor(*HIGHLIGHT_COLOR), 0, Qt.PenStyle.DashLine)  # width 0: cosmetic
        self.frame.setPen(pen)
        self.frame.setZValue(HIGHLIGHT_Z)
        self.frame.setVisible(False)
        canvas.scene().addItem(self.layer)
        canvas.scene().addItem(self.frame)
        self._mask: np.ndarray | None = None
        canvas.document.image_changed.connect(self.clear)

    @property
    def mask(self) -> np.ndarray | None:
        """The marked pixels as an H x W bool array, or None."""
        return None if self._mask is None else self._mask.astype(bool)

    def show_mask(self, mask: np.ndarray) -> None:
        """Mark the True pixels of `mask` (H x W, the shape of the current label map)."""
        self._mask = np.ascontiguousarray(mask, dtype=np.uint8)
        self.layer.set_array(self._mask)
        box = bounding_box(mask.astype(bool))
        if box is None:
            self.frame.setVisible(False)
            return
        y0, x0, y1, x1 = box
        self.frame.setRect(QRectF(x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2))  # one pixel outside the marks
        self.frame.setVisible(True)

    def clear(self) -> None:
        self._mask = None
        self.layer.set_array(None)
        self.frame.setVisible(False)
