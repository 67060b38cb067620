"""Editing tools: brush, eraser, flood fill, accept region, polygon, GrabCut and the Alt+click class picker.

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
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.document.label_document import LabelDocument, Stroke, ViewMode
from app.document.proposal import accept_into, accept_region
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.edits import flood_fill_mask

MIN_BRUSH_SIZE = 1
MAX_BRUSH_SIZE = 4096  # a 16384-px scan needs brushes of thousands of pixels
DEFAULT_BRUSH_SIZE = 9


class Tool(enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    FILL = "fill"
    ACCEPT_REGION = "accept_region"  # the proposal's region under a click becomes label
    POLYGON = "polygon"              # click vertices or drag a lasso; the polygon is filled
    GRABCUT = "grabcut"              # drag a box, click to refine, Enter commits the mask
    SAM = "sam"                      # Segment Anything: clicks and a box, the preview follows the mouse


class InteractiveTool(Protocol):
    """A tool that edits after several events (app/canvas/polygon_tool.py, prompt_tool.py)."""

    busy: bool                 # the button is down on it: moves go to it
    drag_threshold: float      # image pixels a press must move to be a drag (set from the zoom)

    def press(self, y: int, x: int, negative: bool = False) -> None: ...
    def move(self, y: int, x: int) -> None: ...
    def hover(self, y: int, x: int) -> None: ...
    def release(self, y: int | None = None, x: int | None = None) -> None: ...
    def double_click(self, y: int, x: int) -> None: ...
    def key(self, key: int) -> bool: ...
    def cancel(self) -> None: ...


#: Key -> class id: 1-9 pick classes 1-9, 0 picks class 10, backtick picks class 0.
CLASS_KEYS: dict[str, int] = {**{str(d): d for d in range(1, 10)}, "0": 10, "`": 0}


class ToolController(QObject):
    tool_changed = Signal(object)        # Tool
    brush_size_changed = Signal(int)
    class_picked = Signal(int)           # after an Alt+click
    handler_added = Signal(object, object)  # Tool, its InteractiveTool: the canvas shows what it collects

    def __init__(self, document: LabelDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._tool = Tool.BRUSH
        self._brush_size = DEFAULT_BRUSH_SIZE
        self._stroke: Stroke | None = None
        self._last: tuple[int, int] | None = None
        self._last_size = 0  # brush size of the last dab
        self.interactive: dict[Tool, InteractiveTool] = {}
        self._drag_threshold = 3.0

    def register(self, tool: Tool, handler: InteractiveTool) -> None:
        """Make `handler` receive the events while `tool` is the current tool (and views show it:
        `handler_added`)."""
        handler.drag_threshold = self._drag_threshold
        self.interactive[tool] = handler
        self.handler_added.emit(tool, handler)

    def _ensure_handler(self, tool: Tool) -> None:
        """The built-in interactive tools are made when first chosen: their modules stay out of start-up."""
        if tool in self.interactive or tool not in (Tool.POLYGON, Tool.GRABCUT, Tool.SAM):
            return
        if tool is Tool.SAM:
            from app.canvas.sam_tool import SamTool

            self.register(tool, SamTool(self.document, self))
        elif tool is Tool.POLYGON:
            from app.canvas.polygon_tool import PolygonTool

            self.register(tool, PolygonTool(self.document, self))
        else:
            from app.canvas.prompt_tool import PromptTool, grabcut_backend

            self.register(tool, PromptTool(self.document, grabcut_backend, "GrabCut", self))

    def set_screen_scale(self, zoom: float) -> None:
        """Screen pixels per image pixel (the canvas's zoom): a drag is 4 screen pixels at any zoom."""
        self._drag_threshold = max(1.0, 4.0 / max(zoom, 1e-6))
        for handler in self.interactive.values():
            handler.drag_threshold = self._drag_threshold

    # -- settings ----------------------------------------------------------------------------------
    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        if tool is Tool.SAM:
            from app.canvas.sam_tool import unavailable_reason

            reason = unavailable_reason()
            if reason is not None:  # no checkpoint configured: say where to get one and use GrabCut
                self.document.status_message.emit(reason)
                tool = Tool.GRABCUT
                if tool is self._tool:
                    self.tool_changed.emit(tool)  # the S action was checked: check G again
        if tool is not self._tool:
            self.cancel_or_finish()
            self._ensure_handler(tool)
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
        handler = self.interactive.get(self._tool)
        return self._stroke is not None or (handler is not None and handler.busy)

    @property
    def current_interactive(self) -> InteractiveTool | None:
        return self.interactive.get(self._tool)

    # -- events in image coordinates ---------------------------------------------------------------
    def press(self, y: int, x: int, *, pick: bool = False, negative: bool = False) -> None:
        """Mouse button down at pixel (y, x); `pick` (Alt held) picks the class under the cursor;
        `negative` (Ctrl or Shift held) subtracts with the polygon, or is a negative click."""
        document = self.document
        if document.label_map is None or document.is_loading:
            return  # nothing to paint on, or the image shown is about to be replaced
        if pick:
            self._pick(y, x)
            return
        if self._tool is Tool.ACCEPT_REGION:
            accept_region(document, y, x)
            return
        handler = self.interactive.get(self._tool)
        if handler is not None:
            handler.press(y, x, negative)
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
        elif (handler := self.interactive.get(self._tool)) is not None:
            handler.move(y, x)

    def release(self, y: int | None = None, x: int | None = None) -> None:
        handler = self.interactive.get(self._tool)
        if handler is not None and self._stroke is None:
            handler.release(y, x)
        if self._stroke is not None:
            if y is not None and x is not None:
                self._dab(y, x)
            self._stroke.finish()
        self._stroke, self._last = None, None

    def hover(self, y: int, x: int) -> None:
        """The mouse moved with no button down (an open polygon's rubber band follows it)."""
        handler = self.interactive.get(self._tool)
        if handler is not None:
            handler.hover(y, x)

    def double_click(self, y: int, x: int) -> None:
        handler = self.interactive.get(self._tool)
        if handler is not None:
            handler.double_click(y, x)

    def key(self, key: int) -> bool:
        """A key for the current interactive tool (Enter, Esc, Backspace); False when not taken."""
        handler = self.interactive.get(self._tool)
        return handler is not None and handler.key(key)

    def cancel_or_finish(self) -> None:
        """End a stroke in progress (on tool or image switch) keeping what was painted; an open
        polygon or prompt, which has painted nothing yet, is dropped."""
        handler = self.interactive.get(self._tool)
        if handler is not None:
            handler.cancel()
        self.release()

    # -- the tools ---------------------------------------------------------------------------------
    def _value(self) -> int:
        return IGNORE_INDEX if self._tool is Tool.ERASER else self.document.view.active_class

    def _dab(self, y: int, x: int) -> None:
        start = self._last if self._last is not None else (y, x)
        # The disk at `start` is painted when the last dab had this size ([ or ] may change it mid-drag).
        painted = self._last is not None and self._last_size == self._brush_size
        from segmodels.labels.sweep import dab_pieces  # loads with the first dab, not at start-up

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
