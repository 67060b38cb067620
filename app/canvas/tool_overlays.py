"""What the polygon and prompt tools show while they collect input, above the label layer.

- the open polygon: its outline through the vertices' pixel centres and a closing edge, white when
  it will fill and red when it will subtract;
- the prompt tools' box (dashed, while dragged and after), their clicks (green positive, red
  negative; fixed screen size) and the mask preview in the active class's colour.

Every pen is cosmetic (one screen pixel wide at any zoom) and the markers ignore the view's
transformation, so the overlay reads the same at 1/64 and at 64x. Items are redrawn from the tools'
`changed` signals; nothing here edits the label map.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem

from app.canvas.layers import IndexedLayer

OVERLAY_Z = 4  # above the highlight overlay (3)
FILL_COLOR = QColor(255, 255, 255, 230)
SUBTRACT_COLOR = QColor(255, 70, 70, 230)
POSITIVE_COLOR = QColor(60, 220, 60)
NEGATIVE_COLOR = QColor(240, 60, 60)
PREVIEW_ALPHA = 150
MARKER_SIZE = 9  # screen pixels


def _cosmetic(color: QColor, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    return QPen(color, 0, style)  # width 0: one screen pixel at any zoom


class ToolOverlays:
    def __init__(self, canvas) -> None:
        self.canvas = canvas
        scene = canvas.scene()
        self.polygon = QGraphicsPathItem()
        self.polygon_shadow = QGraphicsPathItem()  # a dark edge under the line: visible on light images too
        shadow_pen = QPen(QColor(0, 0, 0, 200), 3)
        shadow_pen.setCosmetic(True)  # 3 screen pixels at any zoom
        self.polygon_shadow.setPen(shadow_pen)
        self.box = QGraphicsRectItem()
        self.box.setPen(_cosmetic(QColor(255, 255, 255, 230), Qt.PenStyle.DashLine))
        self.preview = IndexedLayer()
        for item in (self.polygon_shadow, self.polygon, self.box, self.preview):
            item.setZValue(OVERLAY_Z)
            item.setVisible(False)
            scene.addItem(item)
        self.markers: list[QGraphicsEllipseItem] = []
        self._prompt_tool = None  # the prompt tool shown last (only the current tool collects input)
        canvas.document.view.active_class_changed.connect(self._recolor_preview)

    def attach(self, handler) -> None:
        """Show what `handler` collects: a polygon tool's vertices (it has `points`) or a prompt
        tool's box, clicks and preview (it has `drag_box`)."""
        if hasattr(handler, "points"):
            handler.changed.connect(lambda: self.show_polygon(handler))
        elif hasattr(handler, "drag_box"):
            handler.changed.connect(lambda: self.show_prompt(handler))
            handler.busy_changed.connect(self._show_busy)

    def _recolor_preview(self, _class_id: int) -> None:
        if self._prompt_tool is not None:
            self.show_prompt(self._prompt_tool)

    def show_polygon(self, tool) -> None:
        if not tool.points:
            self.polygon.setVisible(False)
            self.polygon_shadow.setVisible(False)
            return
        path = QPainterPath()
        first = QPointF(tool.points[0][1] + 0.5, tool.points[0][0] + 0.5)
        path.moveTo(first)
        for y, x in tool.points[1:]:
            path.lineTo(x + 0.5, y + 0.5)
        if tool.cursor is not None and tool.cursor != tool.points[-1] and not tool.busy:
            path.lineTo(tool.cursor[1] + 0.5, tool.cursor[0] + 0.5)  # the rubber band to the next vertex
        path.lineTo(first)  # the closing edge: what Enter would fill
        self.polygon.setPen(_cosmetic(SUBTRACT_COLOR if tool.subtract else FILL_COLOR))
        self.polygon.setPath(path)
        self.polygon_shadow.setPath(path)
        self.polygon.setVisible(True)
        self.polygon_shadow.setVisible(True)

    def _show_busy(self, busy: bool) -> None:
        """A busy cursor over the image while a mask is computed (the window stays responsive)."""
        if busy:
            self.canvas.viewport().setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.canvas.viewport().unsetCursor()

    def show_prompt(self, tool) -> None:
        self._prompt_tool = tool
        corners = tool.drag_box
        prompt = tool.prompt
        if corners is not None:
            (ya, xa), (yb, xb) = corners
            box = (min(ya, yb), min(xa, xb), max(ya, yb) + 1, max(xa, xb) + 1)
        else:
            box = prompt.box if prompt is not None else None
        self.box.setVisible(box is not None)
        if box is not None:
            y0, x0, y1, x1 = box
            self.box.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._show_markers(prompt)
        self._show_preview(tool.preview)

    def _show_markers(self, prompt) -> None:
        for marker in self.markers:
            self.canvas.scene().removeItem(marker)
        self.markers = []
        if prompt is None:
            return
        for points, color in ((prompt.positives, POSITIVE_COLOR), (prompt.negatives, NEGATIVE_COLOR)):
            for y, x in points:
                marker = QGraphicsEllipseItem(-MARKER_SIZE / 2, -MARKER_SIZE / 2, MARKER_SIZE, MARKER_SIZE)
                marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
                marker.setPos(x + 0.5, y + 0.5)
                marker.setBrush(QBrush(color))
                marker.setPen(_cosmetic(QColor(0, 0, 0)))
                marker.setZValue(OVERLAY_Z + 1)
                self.canvas.scene().addItem(marker)
                self.markers.append(marker)

    def _show_preview(self, preview) -> None:
        if preview is None:
            self.preview.setVisible(False)
            self.preview.set_array(None)
            return
        y0, x0, mask = preview
        self._preview_array = np.ascontiguousarray(mask, dtype=np.uint8)  # the layer keeps a reference
        self.preview.set_array(self._preview_array)
        self.preview.set_color_table(self._preview_table())
        self.preview.setPos(x0, y0)
        self.preview.setVisible(True)

    def _preview_table(self) -> list[int]:
        document = self.canvas.document
        table, active = document.class_table, document.view.active_class
        r, g, b = table[active].color if table is not None and active < len(table) else (255, 255, 0)
        return [0, (PREVIEW_ALPHA << 24) | (r << 16) | (g << 8) | b] + [0] * 254
