"""The canvas's two layers: the image and the label overlay, each drawn only where exposed.

Both are QGraphicsItems over numpy arrays (never copies of the full-size data at level 0): the image
as an RGB888 QImage over the document's RGB array, the label overlay as an Indexed8 QImage over the
label map (or the prediction, or the confidence map) whose 256-entry colour table carries class
colours and alpha. Opacity and visibility change only that table.

So that the cost of a frame grows with the window and not with the image, each layer keeps a
pyramid of half-size levels and `paint()` draws just the exposed rectangle from the coarsest level that still has
at least one level pixel per screen pixel. A dab updates the full-size buffer in place (it is the
document's array) and asks for a repaint of that rectangle only; the smaller levels refresh the same
rectangle when a paint next needs one of them. Qt repaints a region but tells an item only its
bounding rectangle, so `exposed_rects` draws the region's rectangles when they are few and sparse
(a big brush's crescent and its outline arcs, app/canvas/outline.py).

Image levels are area-averaged. Class maps (labels, predictions, the invalid-pixel highlight) are
reduced by `class_half_size` (segmodels.labels.pyramid): each 2 x 2 block becomes its highest class
with unlabelled (255) lowest, so no new class value appears and a one-pixel stroke stays visible
zoomed out (a plain subsample dropped it between samples). Confidence maps are ordinal and are subsampled.

Levels are built when a paint first needs them (a small image shown at 100 % never builds one, so
neither start-up nor the first frame pays for OpenCV), or handed in ready-made: `image_pyramid()` and
`class_pyramid()` (segmodels.labels.pyramid) are plain numpy/OpenCV, so the document's loading worker
builds a large image's levels off the GUI thread.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QRegion
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from segmodels.labels.contours import outline_mask, with_margin
from segmodels.labels.edits import Box, union_box
from segmodels.labels.pyramid import class_half_size, class_level_shapes, half_size, image_level_shapes

#: Screen pixels per level pixel under which the image is drawn with bilinear filtering.
SMOOTH_BELOW = 0.7
#: A repainted region of more rectangles than this is drawn as its bounding rectangle (each costs a call);
#: a big brush's crescent pieces and its outline arcs repaint in one frame, up to ~40 rectangles.
MAX_EXPOSED_RECTS = 64
#: ... and so is one whose rectangles spare fewer pixels than this many per rectangle: drawing one more
#: rectangle (a copy, a conversion, a clip and a draw call) costs about what drawing that many pixels does.
PIXELS_PER_CALL = 16384
#: Outlines are enlarged at most this many times (the canvas's largest zoom): one screen pixel wide.
MAX_CONTOUR_FACTOR = 64
#: Changed boxes a label layer remembers for its smaller levels before it keeps their union instead.
MAX_STALE_BOXES = 256


class _Level:
    """One pyramid level: the array, the QImage over it, and its scale to full size."""

    def __init__(self, array: np.ndarray, image_format: QImage.Format, full_shape: tuple[int, int]) -> None:
        self.array = np.ascontiguousarray(array)
        h, w = self.array.shape[:2]
        self.qimage = QImage(self.array.data, w, h, self.array.strides[0], image_format)
        self.scale_y = full_shape[0] / h
        self.scale_x = full_shape[1] / w


class PyramidLayer(QGraphicsItem):
    """Base: draws the exposed part of the best pyramid level; subclasses make the smaller levels,
    each on first use (`_make_level`)."""

    draw_format = QImage.Format.Format_ARGB32_Premultiplied
    level_format = QImage.Format.Format_RGB888

    def __init__(self, smooth: bool = False) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self._levels: list[_Level | None] = []   # index 0 full size; None until built
        self._shapes: list[tuple[int, int]] = []
        self._smooth = smooth
        self._rect = QRectF()
        self._drawn_scale = 1.0  # full-size pixels per level pixel at the last paint

    @property
    def levels(self) -> list[_Level]:
        """Every level, building the missing ones (tests and benchmarks look at all of them)."""
        return [self._level(index) for index in range(len(self._levels))]

    def boundingRect(self) -> QRectF:
        return self._rect

    def _set_levels(self, full: np.ndarray | None, shapes: Sequence[tuple[int, int]] = (),
                    ready: Sequence[np.ndarray] = ()) -> None:
        """Show `full` with smaller levels of `shapes`; `ready` holds those already made (in order)."""
        self.prepareGeometryChange()
        if full is None:
            self._levels, self._shapes, self._rect = [], [], QRectF()
        else:
            h, w = full.shape[:2]
            self._shapes = [(h, w), *shapes]
            self._levels = [None] * len(self._shapes)
            for index, array in enumerate([full, *ready][:len(self._shapes)]):
                self._levels[index] = self._wrap(array)
            self._rect = QRectF(0, 0, w, h)
        self.update()

    def _wrap(self, array: np.ndarray) -> _Level:
        h, w = self._shapes[0]
        return _Level(array, self.level_format, (h, w))

    def _level(self, index: int) -> _Level:
        level = self._levels[index]
        if level is None:
            level = self._wrap(self._make_level(index))
            self._levels[index] = level
        return level

    def _make_level(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def level_for(self, screen_pixels_per_image_pixel: float) -> _Level:
        """The level whose pixels are closest to screen pixels in size (nearest in log scale), so a
        frame draws between half and twice as many source pixels as the window has."""
        full_w = self._shapes[0][1]
        best, best_distance = 0, math.inf
        for index, (_, w) in enumerate(self._shapes):
            scale_x = full_w / w
            distance = abs(math.log2(scale_x * screen_pixels_per_image_pixel))
            if distance < best_distance - 1e-9:
                best, best_distance = index, distance
            if scale_x * screen_pixels_per_image_pixel > 1.0:
                break  # coarser levels only get further away
        return self._level(best)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self._levels:
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        level = self.level_for(lod)
        exposed = option.exposedRect.intersected(self._rect)
        if exposed.isEmpty():
            return
        rects = exposed_rects(painter, exposed)
        for rect in rects:
            if len(rects) > 1:  # pixels widened past one rectangle must not blend twice where they meet
                painter.save()
                painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
            self._draw(painter, level, rect, lod)
            if len(rects) > 1:
                painter.restore()

    def _draw(self, painter: QPainter, level: _Level, exposed: QRectF, lod: float) -> None:
        # Source rectangle in level pixels, widened to whole pixels (plus one for smoothing) so a
        # partial repaint draws exactly what a full repaint would.
        margin = 1 if self._smooth else 0
        h, w = level.array.shape[:2]
        left = max(math.floor(exposed.left() / level.scale_x) - margin, 0)
        top = max(math.floor(exposed.top() / level.scale_y) - margin, 0)
        right = min(math.ceil(exposed.right() / level.scale_x) + margin, w)
        bottom = min(math.ceil(exposed.bottom() / level.scale_y) + margin, h)
        if right <= left or bottom <= top:
            return
        target = QRectF(left * level.scale_x, top * level.scale_y,
                        (right - left) * level.scale_x, (bottom - top) * level.scale_y)
        source = self._source(level, QRect(left, top, right - left, bottom - top), level.scale_x * lod)
        self._drawn_scale = max(level.scale_x, level.scale_y)
        # A pyramid level is already area-averaged to within 1.4x of screen pixels; bilinear filtering
        # only pays off (and costs twice the time) when drawing shrinks a level further than that.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                              self._smooth and level.scale_x * lod < SMOOTH_BELOW)
        painter.drawImage(target, source)

    def _source(self, level: _Level, rect: QRect, screen_per_level_pixel: float) -> QImage:
        """`rect` of `level` as an image in `draw_format` (drawn into the rect's place)."""
        # Converting just this rectangle to the painter's native 32-bit format first is several
        # times faster than letting the raster engine fetch Indexed8 / RGB888 pixel by pixel.
        return level.qimage.copy(rect).convertToFormat(self.draw_format)


def exposed_rects(painter: QPainter, exposed: QRectF) -> list[QRectF]:
    """The rectangles (item coordinates) Qt really repaints inside `exposed`, which is only their
    bounding rectangle: a big brush's crescent and outline arcs at both sides of the window would
    otherwise repaint everything between them. The paint engine's system clip is the repainted
    region in device pixels; `exposed` alone when it is one rectangle, has too many, or drawing them
    one by one would spare too few pixels to pay for the calls."""
    engine = painter.paintEngine()
    region = engine.systemClip() if engine is not None else QRegion()
    if not 1 < region.rectCount() <= MAX_EXPOSED_RECTS:
        return [exposed]
    bounds = region.boundingRect()
    spared = bounds.width() * bounds.height() - sum(r.width() * r.height() for r in region)
    if spared <= region.rectCount() * PIXELS_PER_CALL:
        return [exposed]
    inverse, invertible = painter.deviceTransform().inverted()
    if not invertible:
        return [exposed]
    rects = [inverse.mapRect(QRectF(rect)).intersected(exposed) for rect in region]
    return [rect for rect in rects if not rect.isEmpty()]


class ImageLayer(PyramidLayer):
    """The photo: RGB888 over the document's H x W x 3 array, area-averaged levels for zoom-out."""

    draw_format = QImage.Format.Format_RGB32

    def __init__(self) -> None:
        super().__init__(smooth=True)
        self.setZValue(0)

    def set_image(self, rgb: np.ndarray | None, pyramid: Sequence[np.ndarray] = ()) -> None:
        """Show `rgb`; `pyramid` may hold its half-size levels already made (`image_pyramid`)."""
        if rgb is None:
            self._set_levels(None)
            return
        self._set_levels(rgb, image_level_shapes(rgb.shape), pyramid)

    def _make_level(self, index: int) -> np.ndarray:
        return half_size(self._level(index - 1).array)


class IndexedLayer(PyramidLayer):
    """An H x W uint8 map shown through a 256-entry colour table (labels, prediction, confidence)."""

    level_format = QImage.Format.Format_Indexed8

    def __init__(self) -> None:
        super().__init__(smooth=False)
        self.setZValue(1)
        self._color_table: list[int] = [0] * 256
        self._classes = True
        self._stale: list[Box] = []  # boxes of the full-size array changed since levels 1.. were refreshed
        self._contours = False
        self._contour_lut = np.zeros(256, dtype=np.uint32)

    @property
    def array(self) -> np.ndarray | None:
        return self._levels[0].array if self._levels else None

    @property
    def color_table(self) -> list[int]:
        return list(self._color_table)

    def set_array(self, array: np.ndarray | None, *, classes: bool = True,
                  ready: Sequence[np.ndarray] = ()) -> None:
        """Show `array` (kept by reference: edits to it show after `update_region`). `classes`: a
        class map, whose levels keep every class visible (`class_half_size`); False for an ordinal
        map (confidence), whose levels are subsampled. `ready`: levels already made from `array`
        (`class_pyramid`, in a loading worker), used as they are."""
        self._stale = []
        if array is None:
            self._set_levels(None)
            return
        self._classes = classes
        self._set_levels(array, class_level_shapes(array.shape), ready)

    def _wrap(self, array: np.ndarray) -> _Level:
        level = super()._wrap(array)
        level.qimage.setColorTable(self._color_table)
        return level

    def _reduce(self, array: np.ndarray) -> np.ndarray:
        return class_half_size(array) if self._classes else array[::2, ::2].copy()

    def _make_level(self, index: int) -> np.ndarray:
        # From the level above, built first: each step reads a quarter of what the last one read.
        return self._reduce(self._level(index - 1).array)

    def set_contours(self, on: bool) -> None:
        """Draw class outlines only (one screen pixel wide at any zoom), or filled regions."""
        if on != self._contours:
            self._contours = on
            self.update()

    def _source(self, level: _Level, rect: QRect, screen_per_level_pixel: float) -> QImage:
        if not self._contours:
            return super()._source(level, rect, screen_per_level_pixel)
        # Outlines of this rectangle only, at this level, enlarged to screen pixels when zoomed in.
        factor = min(max(1, math.floor(screen_per_level_pixel + 1e-6)), MAX_CONTOUR_FACTOR)
        block = with_margin(level.array, rect.top(), rect.left(), rect.bottom() + 1, rect.right() + 1)
        values, edge = outline_mask(block, factor)
        argb = self._contour_lut[values]
        argb[~edge] = 0
        h, w = argb.shape
        image = QImage(argb.data, w, h, argb.strides[0], QImage.Format.Format_ARGB32)
        return image.convertToFormat(self.draw_format)  # a copy: `argb` may go

    def set_color_table(self, table: list[int]) -> None:
        """Replace the colour table only (opacity, visibility, class colours): pixels untouched."""
        self._color_table = list(table)
        # Outlines are one pixel thin: drawn opaque in the class colour wherever the table shows one.
        lut = np.array(self._color_table, dtype=np.uint32)
        self._contour_lut = np.where(lut >> 24 > 0, lut | np.uint32(0xFF000000), np.uint32(0))
        for level in self._levels:
            if level is not None:
                level.qimage.setColorTable(self._color_table)
        self.update()

    def _level(self, index: int) -> _Level:
        if index > 0 and self._stale:
            self._refresh_stale()
        return super()._level(index)

    def update_region(self, box: Box) -> None:
        """The full-size array changed inside `box`: repaint it; the smaller levels catch up when a
        paint next needs one (at 100 % a stroke never does, so it never pays for them)."""
        if not self._levels:
            return
        if any(level is not None for level in self._levels[1:]):
            self._stale.append(box)
            if len(self._stale) > MAX_STALE_BOXES:  # a long stroke unseen zoomed out: one box for all
                self._stale = [functools.reduce(union_box, self._stale)]
        top, left, bottom, right = box
        # A level pixel of the level last drawn may straddle the box edge: widen by one of them.
        pad = math.ceil(self._drawn_scale) + 1
        rect = QRectF(left - pad, top - pad, right - left + 2 * pad, bottom - top + 2 * pad)
        # Through the scene: an item merges all its update rectangles into their bounding rectangle,
        # which for a big brush's crescent pieces spans the whole disk.
        scene = self.scene()
        scene.update(self.mapRectToScene(rect)) if scene is not None else self.update(rect)

    def _refresh_stale(self) -> None:
        """Reduce the blocks of every built level that touch the boxes changed since the last time."""
        boxes, self._stale = self._stale, []
        above = self._levels[0].array
        for level in self._levels[1:]:
            if level is None:
                break  # levels are built in order: this one and coarser ones will be made fresh
            # The 2 x 2 blocks that touch each box, reduced again from the level above.
            boxes = _merged([(y0 // 2, x0 // 2, -(-y1 // 2), -(-x1 // 2)) for y0, x0, y1, x1 in boxes])
            for y0, x0, y1, x1 in boxes:
                level.array[y0:y1, x0:x1] = self._reduce(above[2 * y0:2 * y1, 2 * x0:2 * x1])
            above = level.array


def _merged(boxes: list[Box]) -> list[Box]:
    """`boxes`, or their union when it is hardly bigger: on coarse levels a brush's pieces shrink to a
    few pixels each, and one call per piece would cost more than the pixels."""
    if len(boxes) < 2:
        return boxes
    union = functools.reduce(union_box, boxes)
    area = sum((y1 - y0) * (x1 - x0) for y0, x0, y1, x1 in boxes)
    return [union] if (union[2] - union[0]) * (union[3] - union[1]) <= 2 * area + 4096 else boxes
