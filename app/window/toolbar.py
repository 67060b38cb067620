"""Toolbar controls, each a small widget bound both ways to one property (napari style).

`OpacitySlider` <-> document.view.opacity, `BrushSizeSlider` <-> tools.brush_size, `ViewModeCombo` <->
document.view.view_mode, `ActiveClassCombo` <-> document.view.active_class, and `ToolActions` (checkable
B / E / F / A / P / G / S actions: brush, eraser, flood fill, accept region, polygon, GrabCut, Segment
Anything) <-> tools.tool.
Each control sets its value from the model without re-emitting (signals blocked) and writes the model
when the user moves it.
"""
from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import QComboBox, QSlider, QWidget

from app.canvas.tools import MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, Tool, ToolController
from app.document.label_document import LabelDocument, ViewMode

SLIDER_WIDTH = 80  # px: with the short captions (app/window/toolbar_texts.py) the whole bar fits a 1160 px window
VIEW_MODE_TEXT = {ViewMode.LABEL: "Label", ViewMode.PREDICTION: "Prediction", ViewMode.CONFIDENCE: "Confidence"}


class HorizontalSlider(QSlider):
    """A horizontal QSlider."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)


class OpacitySlider(HorizontalSlider):
    def __init__(self, document: LabelDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setRange(0, 100)
        self.setFixedWidth(SLIDER_WIDTH)
        self.setToolTip("Label opacity")
        self._show(document.view.opacity)
        document.view.opacity_changed.connect(self._show)
        self.valueChanged.connect(lambda value: document.view.set_opacity(value / 100.0))

    def _show(self, opacity: float) -> None:
        self.blockSignals(True)
        self.setValue(round(opacity * 100))
        self.blockSignals(False)


class BrushSizeSlider(HorizontalSlider):
    def __init__(self, tools: ToolController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(MIN_BRUSH_SIZE, min(MAX_BRUSH_SIZE, 200))
        self.setFixedWidth(SLIDER_WIDTH)
        self.setToolTip("Brush size in pixels ([ and ] change it)")
        self._show(tools.brush_size)
        tools.brush_size_changed.connect(self._show)
        self.valueChanged.connect(tools.set_brush_size)

    def _show(self, size: int) -> None:
        self.blockSignals(True)
        self.setValue(size)
        self.setToolTip(f"Brush size: {size} px ([ and ] change it)")
        self.blockSignals(False)


class ViewModeCombo(QComboBox):
    def __init__(self, document: LabelDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for mode, text in VIEW_MODE_TEXT.items():
            self.addItem(text, mode)
        self.setToolTip("Show the reviewed label, the model's prediction or its confidence")
        self.document = document
        self._show(document.view.view_mode)
        document.view.view_mode_changed.connect(self._show)
        self.currentIndexChanged.connect(lambda index: document.view.set_view_mode(self.itemData(index)))

    def _show(self, mode: ViewMode) -> None:
        self.blockSignals(True)
        self.setCurrentIndex(self.findData(mode))
        self.blockSignals(False)


class ActiveClassCombo(QComboBox):
    """The class the brush paints, with its colour swatch."""

    def __init__(self, document: LabelDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setToolTip("Class to paint (keys 1-9, 0 and `; Alt+click picks)")
        self.setMinimumContentsLength(12)
        document.classes_changed.connect(self._fill)
        document.view.active_class_changed.connect(self._show)
        self.currentIndexChanged.connect(lambda index: index >= 0 and document.view.set_active_class(index))
        self._fill()

    def _fill(self) -> None:
        self.blockSignals(True)
        self.clear()
        for info in self.document.class_table or ():
            swatch = QPixmap(14, 14)
            swatch.fill(QColor(*info.color))
            self.addItem(QIcon(swatch), f"{info.id}: {info.name}")
        self.blockSignals(False)
        self._show(self.document.view.active_class)

    def _show(self, class_id: int) -> None:
        self.blockSignals(True)
        self.setCurrentIndex(class_id if class_id < self.count() else -1)
        self.blockSignals(False)


class ToolActions(NamedTuple):
    brush: QAction
    eraser: QAction
    fill: QAction
    accept_region: QAction
    polygon: QAction
    grabcut: QAction
    sam: QAction
    grow: QAction
    shrink: QAction
    class_keys: list[QAction]


def make_tool_actions(tools: ToolController, parent: QObject) -> ToolActions:
    """Checkable tool actions (B, E, F, A, P, G, S), brush size keys ([ ]) and class keys (1-9, 0, `)."""
    group = QActionGroup(parent)
    by_tool: dict[Tool, QAction] = {}
    for tool, text, key, tip in (
            (Tool.BRUSH, "Brush", "B", ""), (Tool.ERASER, "Eraser", "E", ""), (Tool.FILL, "Flood fill", "F", ""),
            (Tool.ACCEPT_REGION, "Accept region", "A", ": a click keeps the proposal's region under it"),
            (Tool.POLYGON, "Polygon", "P", ": click vertices or drag a lasso; Enter or double-click fills, Backspace "
             "removes the last vertex, Esc cancels; Ctrl or Shift held on a click subtracts (to unlabelled)"),
            (Tool.GRABCUT, "GrabCut", "G", ": drag a box around an object, click to add (Ctrl or Shift+click to "
             "remove) parts; Enter or double-click keeps the mask, Esc cancels"),
            (Tool.SAM, "Segment Anything", "S", ": the object under the mouse is previewed; click to add (Ctrl or "
             "Shift+click to remove) parts, drag a box; Enter or double-click keeps the mask, Backspace takes back "
             "the last click, Esc cancels; needs a checkpoint (Edit > Preferences), else GrabCut")):
        action = QAction(f"{text}", parent, checkable=True)
        action.setShortcut(QKeySequence(key))
        action.setToolTip(f"{text} ({key}){tip}")
        action.triggered.connect(lambda _=False, t=tool: tools.set_tool(t))
        group.addAction(action)
        by_tool[tool] = action
    by_tool[tools.tool].setChecked(True)
    tools.tool_changed.connect(lambda tool: by_tool[tool].setChecked(True))
    grow = QAction("Bigger brush", parent)
    grow.setShortcut(QKeySequence("]"))
    grow.setToolTip("Bigger brush (])")
    grow.triggered.connect(tools.grow_brush)
    shrink = QAction("Smaller brush", parent)
    shrink.setShortcut(QKeySequence("["))
    shrink.setToolTip("Smaller brush ([)")
    shrink.triggered.connect(tools.shrink_brush)
    class_keys = []
    for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "`"):
        action = QAction(f"Pick class key {key}", parent)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False, k=key: tools.pick_class_key(k))
        class_keys.append(action)
    return ToolActions(by_tool[Tool.BRUSH], by_tool[Tool.ERASER], by_tool[Tool.FILL], by_tool[Tool.ACCEPT_REGION],
                       by_tool[Tool.POLYGON], by_tool[Tool.GRABCUT], by_tool[Tool.SAM], grow, shrink,
                       class_keys)
