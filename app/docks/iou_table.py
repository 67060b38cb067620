"""The training dock's per-class table: class, validation IoU, and the labelled validation pixels that
IoU rests on (a class with no pixel there has no IoU: "—", and the validation says nothing about it;
docs/models-and-labels.md#how-much-data)."""
from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

COLUMNS = ("class", "IoU", "val pixels")


class IouTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMinimumHeight(90)

    def show_epoch(self, class_names: Sequence[str], per_class_iou: Sequence[float],
                   per_class_pixels: Sequence[int] = ()) -> None:
        # Texts change in place: new items every epoch would re-lay the table each time.
        self.setRowCount(len(per_class_iou))
        pixels = list(per_class_pixels) or [None] * len(per_class_iou)
        for row, (name, iou, count) in enumerate(zip(class_names, per_class_iou, pixels, strict=False)):
            texts = (name, "—" if not math.isfinite(iou) else f"{iou:.3f}", "" if count is None else f"{count:,}")
            for column, text in enumerate(texts):
                item = self.item(row, column)
                if item is None:
                    self.setItem(row, column, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)
