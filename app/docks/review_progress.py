"""The image list's header: "23 / 48 reviewed" and a filter by status.

`ReviewProgress(dock)` puts itself above the dock's list. It follows the dock's `statuses_changed`
(a save, an accept, new predictions, unsaved edits, a re-ordering) and recounts and re-filters once per
turn of the event loop, so a batch of status changes (Predict all over 1,000 images) costs one pass.
Hidden rows are skipped by Page Up / Page Down (ImageListDock.step).
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QVBoxLayout, QWidget

from app.widgets.elided_label import ElidedLabel
from segmodels.labels.project import ImageStatus


class StatusFilter(Enum):
    ALL = "All images"
    UNREVIEWED = "Unreviewed"
    UNLABELLED = "Unlabelled"
    PREDICTED = "Predicted"
    REVIEWED = "Reviewed"
    EDITED = "Edited (unsaved)"
    INVALID = "Invalid"


_SHOWS: dict[StatusFilter, frozenset[ImageStatus]] = {
    StatusFilter.UNREVIEWED: frozenset({ImageStatus.UNLABELLED, ImageStatus.PREDICTED}),
    StatusFilter.UNLABELLED: frozenset({ImageStatus.UNLABELLED}),
    StatusFilter.PREDICTED: frozenset({ImageStatus.PREDICTED}),
    StatusFilter.REVIEWED: frozenset({ImageStatus.REVIEWED}),
    StatusFilter.INVALID: frozenset({ImageStatus.INVALID}),
}


def shows(kind: StatusFilter, status: ImageStatus | None, unsaved: bool) -> bool:
    """Whether an image with this status (and unsaved edits or not) is listed under `kind`."""
    if kind is StatusFilter.ALL:
        return True
    if kind is StatusFilter.EDITED:
        return unsaved
    return (status or ImageStatus.UNLABELLED) in _SHOWS[kind]


class ReviewProgress(QWidget):
    def __init__(self, dock: Any) -> None:  # an app.docks.image_list.ImageListDock (which imports this module)
        super().__init__(dock)
        self.dock = dock
        # Neither may widen the dock: the count is elided (whole on hover), the filter's width is fixed.
        self.count_label = ElidedLabel()
        self.count_label.setAccessibleName("Reviewed count")
        self.count_label.setToolTip("Images with a reviewed label (saved or accepted) out of all images")
        self.filter_combo = QComboBox()
        self.filter_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.filter_combo.setMinimumContentsLength(9)
        for kind in StatusFilter:
            self.filter_combo.addItem(kind.value, kind)
        self.filter_combo.setToolTip("Show only the images with this status")
        self.filter_combo.setAccessibleName("Filter images by status")
        self.filter_combo.currentIndexChanged.connect(lambda _: self.refresh())
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.count_label, 1)
        row.addWidget(self.filter_combo)
        body = QWidget(dock)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self)
        column.addWidget(dock.list_widget)
        dock.setWidget(body)
        self._pending = QTimer(self)  # coalesces a burst of status changes into one pass
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.refresh)
        dock.statuses_changed.connect(self._pending.start)

    def current_filter(self) -> StatusFilter:
        return self.filter_combo.currentData()

    def set_filter(self, kind: StatusFilter) -> None:
        self.filter_combo.setCurrentIndex(self.filter_combo.findData(kind))

    def refresh(self) -> None:
        dock = self.dock
        rows = dock.rows()
        reviewed = sum(status is ImageStatus.REVIEWED for _item, status in rows.values())
        self.count_label.setText(f"{reviewed} / {len(rows)} reviewed")
        kind = self.current_filter()
        unsaved: set[Path] = set(dock.document.unsaved_images()) if kind is StatusFilter.EDITED else set()
        for path, (item, status) in rows.items():
            hide = not shows(kind, status, path in unsaved)
            if item.isHidden() != hide:  # each change re-lays the list out: only the rows that change
                item.setHidden(hide)
