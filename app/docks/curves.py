"""Live training curves: train loss per step and validation mIoU per epoch (pyqtgraph).

pyqtgraph takes most of a second to import, so `TrainingCurves` starts as an empty frame and builds
its two PlotWidgets only on `ensure_plots()` (called when the training dock is first shown or the
first report arrives). Points are kept in plain lists and handed to `setData` whole, at most every
REDRAW_MS: each redraw repaints both plots and re-lays their axes (~6 ms on the GUI thread), so
coalescing the dozen-a-second reports keeps that cost off the window while training runs.
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

LOSS_COLOR = (31, 119, 180)
MIOU_COLOR = (44, 160, 44)
REDRAW_MS = 250  # the curves move four times a second: smooth to the eye, cheap for the GUI thread


class TrainingCurves(QWidget):
    """Two stacked plots: loss against epoch (fractional, one point per reported step) and mIoU."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel("Curves appear when training starts.")
        self._layout.addWidget(self._placeholder)
        self.loss_x: list[float] = []
        self.loss_y: list[float] = []
        self.miou_x: list[float] = []
        self.miou_y: list[float] = []
        self._loss_curve: Any = None
        self._miou_curve: Any = None
        self.loss_plot: Any = None
        self.miou_plot: Any = None
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)

    def has_plots(self) -> bool:
        return self.loss_plot is not None

    def ensure_plots(self) -> None:
        """Import pyqtgraph and build the plots (first call only)."""
        if self.has_plots():
            return
        import pyqtgraph as pg  # ~0.8 s: paid when training is first shown, not at startup

        pg.setConfigOptions(antialias=False, background="w", foreground="k")
        self.loss_plot = pg.PlotWidget(title="train loss")
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.3)
        self.loss_plot.setMinimumHeight(120)
        self._loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen(LOSS_COLOR, width=2))
        self.miou_plot = pg.PlotWidget(title="validation mIoU")
        self.miou_plot.setLabel("bottom", "epoch")
        self.miou_plot.setYRange(0.0, 1.0)
        self.miou_plot.showGrid(x=True, y=True, alpha=0.3)
        self.miou_plot.setMinimumHeight(120)
        self._miou_curve = self.miou_plot.plot([], [], pen=pg.mkPen(MIOU_COLOR, width=2),
                                               symbol="o", symbolSize=6, symbolBrush=MIOU_COLOR)
        self._placeholder.hide()
        self._layout.addWidget(self.loss_plot)
        self._layout.addWidget(self.miou_plot)
        self._redraw()

    def clear(self) -> None:
        for points in (self.loss_x, self.loss_y, self.miou_x, self.miou_y):
            points.clear()
        self._redraw()

    def add_loss(self, epoch_position: float, loss: float) -> None:
        """One train-loss point; NaN/inf losses are not plotted (they would wreck the axis range)."""
        if not math.isfinite(loss):
            return
        self.loss_x.append(float(epoch_position))
        self.loss_y.append(float(loss))
        self._schedule_redraw()

    def add_miou(self, epoch: float, miou: float) -> None:
        if not math.isfinite(miou):
            return
        self.miou_x.append(float(epoch))
        self.miou_y.append(float(miou))
        self._schedule_redraw()

    def _schedule_redraw(self) -> None:
        if self._loss_curve is not None and not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _redraw(self) -> None:
        self._redraw_timer.stop()
        if self._loss_curve is not None:
            self._loss_curve.setData(self.loss_x, self.loss_y)
        if self._miou_curve is not None:
            self._miou_curve.setData(self.miou_x, self.miou_y)
