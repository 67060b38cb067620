"""The polygon and lasso tool (P): click vertices, or drag freehand; the closed polygon is filled.

Clicks add vertices; a drag adds a freehand run of vertices, and a drag that starts a polygon is a
lasso, closed and filled on release. Enter or a double click closes the polygon, Backspace removes
the last vertex, Esc cancels. The fill is `segmodels.labels.polygon.polygon_mask` (cv2.fillPoly on
the bounding box only, no anti-aliasing) painted with the active class in one undo step; with Ctrl or
Shift held on any click of the polygon it subtracts instead (pixels become unlabelled). The open
polygon is shown by `app.canvas.tool_overlays` from `points` and `subtract` on `changed`.

Coordinates are image pixels (row y, column x), so the tool works the same at any zoom; the only
screen quantity, how far a press must move to count as a drag, is `drag_threshold` (image pixels),
which the canvas keeps at a few screen pixels.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from app.document.label_document import LabelDocument
from app.document.proposal import edit_shown
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.polygon import Point, polygon_mask


class PolygonTool(QObject):
    changed = Signal()  # vertices or mode changed: the overlay redraws

    def __init__(self, document: LabelDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.points: list[Point] = []
        self.cursor: Point | None = None  # where the next vertex would go (the overlay's rubber band)
        self.subtract = False
        self.drag_threshold = 3.0
        self._press: Point | None = None
        self._started_here = False   # this press placed the polygon's first vertex
        self._dragged = False
        document.image_changed.connect(self.cancel)

    @property
    def busy(self) -> bool:
        """The button is down on this tool (moves are a freehand run)."""
        return self._press is not None

    @property
    def is_open(self) -> bool:
        return bool(self.points)

    # -- events ------------------------------------------------------------------------------------
    def press(self, y: int, x: int, negative: bool = False) -> None:
        self._started_here = not self.points
        self._press, self._dragged = (y, x), False
        self.subtract = self.subtract or negative
        self._add((y, x))

    def move(self, y: int, x: int) -> None:
        if self._press is None:
            return
        py, px = self._press
        self._dragged = self._dragged or max(abs(y - py), abs(x - px)) >= self.drag_threshold
        if self._dragged:
            self._add((y, x))

    def hover(self, y: int, x: int) -> None:
        """The mouse moved with no button down: the open polygon's rubber band follows it."""
        if self.points and self.cursor != (y, x):
            self.cursor = (y, x)
            self.changed.emit()

    def release(self, y: int | None = None, x: int | None = None) -> None:
        if self._press is None:
            return
        if y is not None and x is not None:
            self.move(y, x)
        lasso = self._dragged and self._started_here
        self._press = None
        if lasso:
            self.close()

    def double_click(self, y: int, x: int) -> None:
        self.close()

    def key(self, key: int) -> bool:
        """Backspace, Enter/Return and Esc while a polygon is open; False for any other key."""
        if not self.points:
            return False
        if key == Qt.Key.Key_Backspace:
            self.points.pop()
            self.changed.emit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.close()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        else:
            return False
        return True

    # -- outcomes ----------------------------------------------------------------------------------
    def close(self) -> bool:
        """Fill the polygon (one undo step) and start afresh; False when nothing changed."""
        label_map = self.document.label_map
        points, subtract = self.points, self.subtract
        self.points, self.subtract, self._press, self.cursor = [], False, None, None
        self.changed.emit()
        if label_map is None or self.document.is_loading:
            return False
        result = polygon_mask(points, label_map.shape)
        if result is None:
            return False
        y0, x0, mask = result
        value = IGNORE_INDEX if subtract else self.document.view.active_class
        with edit_shown(self.document, "Subtract polygon" if subtract else "Polygon") as stroke:
            return stroke.paint(y0, x0, mask, value) is not None

    def cancel(self) -> None:
        if self.points or self._press is not None:
            self.points, self.subtract, self._press, self.cursor = [], False, None, None
            self.changed.emit()

    def _add(self, point: Point) -> None:
        if not self.points or self.points[-1] != point:
            self.points.append(point)
            self.changed.emit()
