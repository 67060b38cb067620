"""Editing tools: brush, eraser, flood fill, accept region and the Alt+click class picker.

Tools work in image coordinates (row y, column x) and know nothing about mouse events or zoom: the
canvas translates Qt events and calls `ToolController.press/move/release`, and tests call the same
methods with synthetic coordinates. Every pixel change goes through the document (a `Stroke`), so a
drag is one undo step; consecutive mouse positions are joined by `edits.stroke_segment`, so a fast
drag leaves no gaps; after the first dab only what the disk at the previous position did not cover is
written (`sweep.dab_pieces`), so a big brush costs what it changes.

A stroke (brush, eraser, fill) that starts while the proposal is shown (the prediction view) edits the
proposal: `app.document.proposal.accept_into` takes it into the label's unlabelled pixels first, in the
same undo step, and the label view is shown. "Accept region" copies the proposal's one-class region
under a click into the label and leaves the view as it is, so the next region can be picked.
"""
from __future__ import annotations

import enum

from PySide6.QtCore import QObject, Signal

from app.document.label_document import LabelDocument, Stroke, ViewMode
from app.document.proposal import accept_into, accept_region
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.edits import flood_fill_mask
from segmodels.labels.sweep import dab_pieces

MIN_BRUSH_SIZE = 1
MAX_BRUSH_SIZE = 4096  # a 16384-px scan needs brushes of thousands of pixels
DEFAULT_BRUSH_SIZE = 9


class Tool(enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    FILL = "fill"
    ACCEPT_REGION = "accept_region"  # the proposal's region under a click becomes label


#: Key -> class id: 1-9 pick classes 1-9, 0 picks class 10, backtick picks class 0.
CLASS_KEYS: dict[str, int] = {**{str(d): d for d in range(1, 10)}, "0": 10, "`": 0}


class ToolController(QObject):
    tool_changed = Signal(object)        # Tool
    brush_size_changed = Signal(int)
    class_picked = Signal(int)           # after an Alt+click

    def __init__(self, document: LabelDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._tool = Tool.BRUSH
        self._brush_size = DEFAULT_BRUSH_SIZE
        self._stroke: Stroke | None = None
        self._last: tuple[int, int] | None = None
        self._last_size = 0  # brush size of the last dab

    # -- settings ----------------------------------------------------------------------------------
    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        if tool is not self._tool:
            self.cancel_or_finish()
            self._tool = tool
            self.tool_changed.emit(tool)

    @property
    def brush_size(self) -> int:
        return self._brush_size

    def set_brush_size(self, size: int) -> None:
        size = min(max(int(size), MIN_BRUSH_SIZE), MAX_BRUSH_SIZE)
        if size != self._brush_size:
            self._brush_size = size
            self.brush_size_changed.emit(size)

    def grow_brush(self) -> None:
        """The ] key: about 20 % bigger, at least one pixel."""
        self.set_brush_size(max(self._brush_size + 1, round(self._brush_size * 1.2)))

    def shrink_brush(self) -> None:
        """The [ key: about 20 % smaller, at least one pixel."""
        self.set_brush_size(min(self._brush_size - 1, round(self._brush_size / 1.2)))

    def pick_class_key(self, key: str) -> bool:
        """Keys 1-9, 0 and ` select a class; False if the key is not a class key or out of range."""
        class_id = CLASS_KEYS.get(key)
        table = self.document.class_table
        if class_id is None or table is None or class_id >= len(table):
            return False
        self.document.view.set_active_class(class_id)
        return True

    @property
    def is_painting(self) -> bool:
        return self._stroke is not None

    # -- events in image coordinates ---------------------------------------------------------------
    def press(self, y: int, x: int, *, pick: bool = False) -> None:
        """Mouse button down at pixel (y, x); `pick` (Alt held) picks the class under the cursor."""
        document = self.document
        if document.label_map is None or document.is_loading:
            return  # nothing to paint on, or the image shown is about to be replaced
        if pick:
            self._pick(y, x)
            return
        if self._tool is Tool.ACCEPT_REGION:
            accept_region(document, y, x)
            return
        # Painting on the shown proposal edits the proposal (it is accepted first, same undo step),
        # where switching to the empty label threw it away.
        on_proposal = document.view.view_mode is ViewMode.PREDICTION and document.prediction is not None
        if document.view.view_mode is not ViewMode.LABEL:
            document.view.set_view_mode(ViewMode.LABEL)  # painting edits the label: show what changes
        if self._tool is Tool.FILL:
            self._fill(y, x, on_proposal)
            return
        self._stroke = document.begin_stroke("Eraser" if self._tool is Tool.ERASER else "Brush")
        if on_proposal and self._stroke is not None:
            accept_into(document, self._stroke)
        self._last = None  # the first dab writes the whole disk
        self._dab(y, x)

    def move(self, y: int, x: int) -> None:
        if self._stroke is not None:
            self._dab(y, x)

    def release(self, y: int | None = None, x: int | None = None) -> None:
        if self._stroke is not None:
            if y is not None and x is not None:
                self._dab(y, x)
            self._stroke.finish()
        self._stroke, self._last = None, None

    def cancel_or_finish(self) -> None:
        """End a stroke in progress (on tool or image switch) keeping what was painted."""
        self.release()

    # -- the tools ---------------------------------------------------------------------------------
    def _value(self) -> int:
        return IGNORE_INDEX if self._tool is Tool.ERASER else self.document.view.active_class

    def _dab(self, y: int, x: int) -> None:
        start = self._last if self._last is not None else (y, x)
        # The disk at `start` is painted when the last dab had this size ([ or ] may change it mid-drag).
        painted = self._last is not None and self._last_size == self._brush_size
        value, shape = self._value(), self.document.label_map.shape
        for y0, x0, mask in dab_pieces(start, (y, x), self._brush_size, shape, skip_start_disk=painted):
            self._stroke.paint(y0, x0, mask, value)
        self._last, self._last_size = (y, x), self._brush_size

    def _fill(self, y: int, x: int, on_proposal: bool = False) -> None:
        with self.document.edit("Fill") as stroke:
            if on_proposal:
                accept_into(self.document, stroke)  # the region filled is then the proposal's
            region = flood_fill_mask(self.document.label_map, y, x)
            if region is not None:
                y0, x0, mask = region
                stroke.paint(y0, x0, mask, self.document.view.active_class)

    def _pick(self, y: int, x: int) -> None:
        document = self.document
        shown = document.prediction_at(y, x) if document.view.view_mode is ViewMode.PREDICTION else None
        value = shown if shown is not None else document.label_at(y, x)
        if value is not None and value != IGNORE_INDEX and value < len(document.class_table):
            document.view.set_active_class(value)
            self.class_picked.emit(value)
