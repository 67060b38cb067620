"""The canvas: a QGraphicsView showing the image and label layers, translating mouse events.

Wheel zooms about the cursor, the middle button or Space+left drag pans, `fit_to_window()` fits.
Left-button events become image coordinates (row y, column x) for the `ToolController`; Alt+click
picks a class. The canvas follows the document: a new image rebuilds the layers, `label_changed`
repaints only the dirty rectangle, opacity/visibility/colour edits replace only the colour table,
and the view mode chooses whether the overlay shows the label map, the prediction or the confidence.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from app.canvas.label_style import LabelStyle
from app.canvas.layers import ImageLayer, IndexedLayer
from app.canvas.outline import BrushOutline
from app.canvas.tools import Tool, ToolController
from app.document.label_document import LabelDocument, ViewMode
from app.startup import tricks
from segmodels.labels.colortable import confidence_color_table, label_color_table

MIN_ZOOM = 1 / 64
MAX_ZOOM = 64.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch (120 units)
BACKGROUND = QColor(48, 48, 48)


class Canvas(QGraphicsView):
    cursor_moved = Signal(int, int)   # image x, y under the cursor; -1, -1 when outside the image
    zoom_changed = Signal(float)      # screen pixels per image pixel

    def __init__(self, document: LabelDocument, tools: ToolController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tricks.own_viewport(self)
        self.document, self.tools = document, tools
        self.setScene(QGraphicsScene(self))
        # A handful of items, the outline's moving on every mouse move: a BSP index would be rebuilt for nothing.
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.image_layer, self.label_layer = ImageLayer(), IndexedLayer()
        self.scene().addItem(self.image_layer)
        self.scene().addItem(self.label_layer)
        self._brush_outline = BrushOutline(self.scene())
        self.label_style = LabelStyle(self)  # contours, unlabelled tint (View menu: O, U)
        # The viewport's palette paints the background around the image.
        palette = self.viewport().palette()
        palette.setColor(QPalette.ColorRole.Base, BACKGROUND)
        self.viewport().setPalette(palette)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setMouseTracking(True)
        # Hidden scroll bars still scroll (pan uses them) but never appear and re-shape the viewport,
        # which would make fit-to-window fit the wrong size.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPoint | None = None
        self._space_down = False
        self._fit_mode = True  # keep fitting on resize until the user zooms
        self._connect_document()
        self.tool_overlays = None  # the open polygon, the prompt box, clicks and mask preview: made with the tools
        tools.handler_added.connect(self._show_tool_input)
        self.zoom_changed.connect(tools.set_screen_scale)

    def _show_tool_input(self, tool: Tool, handler: object) -> None:
        from app.canvas.tool_overlays import ToolOverlays

        if self.tool_overlays is None:
            self.tool_overlays = ToolOverlays(self)
        self.tool_overlays.attach(handler)

    def _connect_document(self) -> None:
        doc = self.document
        doc.image_changed.connect(self._on_image_changed)
        doc.prediction_changed.connect(self._show_overlay)
        doc.view.view_mode_changed.connect(self._show_overlay)
        doc.label_changed.connect(self._on_label_changed)
        for signal in (doc.view.opacity_changed, doc.view.hidden_classes_changed, doc.classes_changed):
            signal.connect(self.refresh_colors)
        self.tools.brush_size_changed.connect(lambda _: self._update_outline(None))
        self.label_style.changed.connect(self.refresh_colors)

    # -- following the document --------------------------------------------------------------------
    def _on_image_changed(self) -> None:
        self.image_layer.set_image(self.document.image, self.document.image_pyramid)
        rect = self.image_layer.boundingRect()
        self.scene().setSceneRect(rect)
        self._show_overlay()
        self.fit_to_window()

    def overlay_array(self):
        doc = self.document
        return {ViewMode.LABEL: doc.label_map, ViewMode.PREDICTION: doc.prediction,
                ViewMode.CONFIDENCE: doc.confidence}[doc.view.view_mode]

    def _show_overlay(self, *_: object) -> None:
        array = self.overlay_array()
        confidence = self.document.view.view_mode is ViewMode.CONFIDENCE  # ordinal, not classes
        ready = self.document.take_levels(array) if array is not None else []
        self.label_layer.set_array(array, classes=not confidence, ready=ready)
        self.refresh_colors()

    def refresh_colors(self, *_: object) -> None:
        """New colour table from the document's classes, opacity, hidden classes and `label_style`."""
        doc = self.document
        if doc.view.view_mode is ViewMode.CONFIDENCE:
            table = confidence_color_table(doc.view.opacity)
        elif doc.class_table is not None:
            table = label_color_table(doc.class_table, doc.view.opacity, doc.view.hidden_classes,
                                      unlabelled=self.label_style.show_unlabelled)
        else:
            return
        self.label_layer.set_color_table(table)
        self.label_layer.set_contours(self.label_style.contours and doc.view.view_mode is not ViewMode.CONFIDENCE)

    def _on_label_changed(self, y0: int, x0: int, y1: int, x1: int) -> None:
        if self.document.view.view_mode is ViewMode.LABEL:
            self.label_layer.update_region((y0, x0, y1, x1))

    # -- zoom and pan ------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPoint | None = None) -> None:
        """Zoom to `zoom` keeping the scene point under `anchor` (viewport coords) in place."""
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self._fit_mode = False
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        factor = zoom / self.zoom
        self.scale(factor, factor)
        self._scroll_to_keep(before, anchor)
        self.zoom_changed.emit(zoom)

    def _scroll_to_keep(self, scene_point: QPointF, anchor: QPoint) -> None:
        # With scroll bars the translate above is absorbed; move the bars so the point stays put.
        moved = self.mapFromScene(scene_point) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())

    def fit_to_window(self) -> None:
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_mode = True
        self.zoom_changed.emit(self.zoom)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit_to_window()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom * WHEEL_STEP ** steps, event.position().toPoint())
        event.accept()

    # -- mouse -> tools ----------------------------------------------------------------------------
    def image_point(self, pos: QPoint | QPointF) -> tuple[int, int]:
        """(y, x) image pixel under a viewport position (may lie outside the image)."""
        scene = self.mapToScene(pos.toPoint() if isinstance(pos, QPointF) else pos)
        return math.floor(scene.y()), math.floor(scene.x())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button, buttons = event.button(), Qt.MouseButton
        if button == buttons.MiddleButton or (button == buttons.LeftButton and self._space_down):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == buttons.LeftButton:
            y, x = self.image_point(event.position())
            modifiers = event.modifiers()
            pick = bool(modifiers & Qt.KeyboardModifier.AltModifier)
            negative = bool(modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
            self.tools.press(y, x, pick=pick, negative=negative)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.tools.current_interactive is not None:
            self.tools.double_click(*self.image_point(event.position()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            return
        y, x = self.image_point(pos)
        # The outline first: moving it queues the scene's dirty-item pass, and the dab's repaint request
        # posted after it then paints both in one frame (in the other order, a big brush cost two frames).
        self._update_outline((y, x))
        if self.tools.is_painting:
            self.tools.move(y, x)
        else:
            self.tools.hover(y, x)
        inside = self.document.label_map is not None and 0 <= y < self.document.label_map.shape[0] \
            and 0 <= x < self.document.label_map.shape[1]
        self.cursor_moved.emit(x if inside else -1, y if inside else -1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        button, buttons = event.button(), Qt.MouseButton
        if self._pan_from is not None and button in (buttons.MiddleButton, buttons.LeftButton):
            self._pan_from = None
            self.viewport().unsetCursor()
        elif button == buttons.LeftButton:
            y, x = self.image_point(event.position())
            self.tools.release(y, x)
        event.accept()

    def leaveEvent(self, event) -> None:
        self._brush_outline.setVisible(False)
        self.cursor_moved.emit(-1, -1)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.tools.key(event.key()):  # Enter, Esc, Backspace for an open polygon or prompt
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def _update_outline(self, point: tuple[int, int] | None) -> None:
        """Show the brush footprint under the cursor (brush and eraser only)."""
        if point is None:
            point = getattr(self, "_outline_at", None)
            if point is None:
                return
        self._outline_at = point
        size = self.tools.brush_size
        y, x = point
        top, left = y - size // 2, x - size // 2
        self._brush_outline.setRect(QRectF(left, top, size, size))
        self._brush_outline.setVisible(self.tools.tool in (Tool.BRUSH, Tool.ERASER)
                                        and self.document.label_map is not None)
