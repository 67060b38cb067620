"""The brush footprint under the cursor, drawn as arcs so that moving it repaints only its rim.

A single ellipse item repaints its whole bounding rectangle when it moves: for a 2000-px brush at
100 % zoom that is the whole viewport on every mouse move, image and labels included. The outline is
therefore `ARCS` arc items around one circle; each one repaints only its own small rectangle, and
arcs off screen cost nothing. The pen is cosmetic (one screen pixel at any zoom).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

ARCS = 16
#: Brushes smaller than this (image pixels) are drawn as one circle: each item costs Qt some work per move.
SPLIT_FROM = 64
OUTLINE_Z = 2  # above the image (0) and the label layer (1)


class BrushOutline:
    def __init__(self, scene: QGraphicsScene) -> None:
        pen = QPen(QColor(255, 255, 255, 200), 0)  # width 0 is cosmetic: one screen pixel at any zoom
        self._arcs: list[QGraphicsPathItem] = []
        for _ in range(ARCS):
            arc = QGraphicsPathItem()
            arc.setPen(pen)
            arc.setZValue(OUTLINE_Z)
            arc.setVisible(False)
            scene.addItem(arc)
            self._arcs.append(arc)
        self._size = -1.0
        self._rect = QRectF()

    def rect(self) -> QRectF:
        """The footprint's square (scene coordinates)."""
        return QRectF(self._rect)

    def setRect(self, rect: QRectF) -> None:  # noqa: N802 (the QGraphicsEllipseItem name it replaces)
        if rect.width() != self._size:  # a new size: new arcs; a move only shifts them
            self._size = rect.width()
            whole = QRectF(0, 0, rect.width(), rect.height())
            used = ARCS if rect.width() >= SPLIT_FROM else 1  # a small circle repaints little anyway
            step = 360.0 / used
            for index, arc in enumerate(self._arcs):
                path = QPainterPath()
                if index < used:
                    path.arcMoveTo(whole, index * step)
                    path.arcTo(whole, index * step, step)
                arc.setPath(path)
        self._rect = QRectF(rect)
        for arc in self._arcs:
            arc.setPos(QPointF(rect.left(), rect.top()))

    def isVisible(self) -> bool:  # noqa: N802 (Qt name)
        return self._arcs[0].isVisible()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt name)
        for arc in self._arcs:
            arc.setVisible(visible)
