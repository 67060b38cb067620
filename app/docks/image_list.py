"""The image list dock: every image of the project with a thumbnail and its status.

Statuses (unlabelled / predicted / reviewed / invalid) are shown as text and colour; an image with
unsaved edits gets a trailing "*". Thumbnails are decoded in a `JobSlot` job off the GUI thread
(each QImage `.copy()`-ed before it crosses threads) and turned into icons on the GUI thread. The
worker starts only after the dock has been painted once, so it never competes with the first frame.
Selecting a row opens that image in the document; Page Up / Page Down (the `previous_action` and
`next_action`) step through the list, and N (`next_unreviewed_action`) goes to the next image without a
reviewed label in list order, so after "Rank by uncertainty" it walks the ranking. `set_order(paths,
notes)` re-orders the list (e.g. by uncertainty) and shows a note per image (its score),
`mark_invalid(path, reason)` flags an image that failed to load or validate.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import QDockWidget, QListWidget, QListWidgetItem, QWidget

from app.docks.review_progress import ReviewProgress
from app.document.label_document import LabelDocument
from app.jobs.pools import Pool, pool
from app.jobs.slot import JobSlot
from app.jobs.worker import CancelFlag
from app.preferences import THUMBNAIL_PX
from app.startup.first_paint import after_first_paint
from segmodels.atomic import require_regular_file
from segmodels.errors import SegError
from segmodels.labels.imageio import exif_orientation, to_rgb, upright
from segmodels.labels.project import ImageStatus

THUMBNAIL_SIDE = THUMBNAIL_PX.default  # Edit > Preferences… changes it: set_thumbnail_side
PATH_ROLE = Qt.ItemDataRole.UserRole

STATUS_COLORS: dict[ImageStatus, QColor] = {
    ImageStatus.UNLABELLED: QColor(150, 150, 150),
    ImageStatus.PREDICTED: QColor(230, 160, 40),
    ImageStatus.REVIEWED: QColor(60, 170, 80),
    ImageStatus.INVALID: QColor(220, 50, 50),
}


def thumbnails(paths: Sequence[Path], cancel: CancelFlag,
               side: int = THUMBNAIL_SIDE) -> Iterator[tuple[Path, QImage]]:
    """Yield (path, small QImage) per readable image; unreadable ones are skipped (the document
    reports them when opened). Runs in a worker thread: Pillow decodes, JPEGs in draft mode; each is
    turned upright by its EXIF orientation, as the document shows it."""
    import cv2  # noqa: F401 - loaded here, off the GUI thread, so the first stroke does not wait for it
    from PIL import Image

    for path in paths:
        if cancel():
            return
        try:
            require_regular_file(path, "image")  # a FIFO would block this thread for good
            with Image.open(path) as image:
                orientation = exif_orientation(image)  # before decoding, as read_image asks it
                image.draft("RGB", (side * 2, side * 2))
                image.thumbnail((side, side))
                # The canvas's own conversion: 16-bit and float TIFFs scaled as shown, not clipped flat.
                rgb, _ = to_rgb(upright(image, orientation))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, SegError):
            continue
        data = np.ascontiguousarray(rgb).tobytes()
        height, width = rgb.shape[:2]
        qimage = QImage(data, width, height, width * 3, QImage.Format.Format_RGB888)
        yield path, qimage.copy()  # own the pixels: `data` dies with this frame


class ImageListDock(QDockWidget):
    statuses_changed = Signal()  # a row's status, unsaved marker or place changed (the header recounts)

    def __init__(self, document: LabelDocument, parent: QWidget | None = None) -> None:
        super().__init__("Images", parent)
        self.setObjectName("image_list_dock")
        self.document = document
        self.list_widget = QListWidget(self)
        self.thumbnail_side = THUMBNAIL_SIDE
        self.list_widget.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.list_widget.setUniformItemSizes(True)
        self.setWidget(self.list_widget)
        self.review_progress = ReviewProgress(self)  # "23 / 48 reviewed" and the status filter, above the list
        self._items: dict[Path, QListWidgetItem] = {}
        self._statuses: dict[Path, ImageStatus] = {}
        self._reasons: dict[Path, str] = {}
        self._unreadable: set[Path] = set()  # failed to open: Page Up/Down skip them
        self._unsaved: set[Path] = set()  # rows drawn with the "*" marker
        self._notes: dict[Path, str] = {}  # e.g. the uncertainty score of the last ranking
        # Thumbnails on their own low-priority pool: they never delay an image load or a check.
        self.thumbnail_job = JobSlot(pool(Pool.THUMBNAILS), self)
        self._pending_thumbnails: list[Path] = []  # waiting for the dock's first paint
        self._painted = False
        after_first_paint(self, self._on_first_paint)  # the dock itself: see Canvas on viewport()
        self.next_action = self._make_action("Next image", QKeySequence.StandardKey.MoveToNextPage, 1)
        self.previous_action = self._make_action("Previous image", QKeySequence.StandardKey.MoveToPreviousPage, -1)
        self.next_unreviewed_action = QAction("Next unreviewed image", self)
        self.next_unreviewed_action.setShortcut(QKeySequence("N"))
        self.next_unreviewed_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.next_unreviewed_action.triggered.connect(lambda: self.next_unreviewed())
        self.list_widget.currentItemChanged.connect(self._on_current_item_changed)
        document.project_changed.connect(self.reload)
        document.image_changed.connect(self._select_current)
        document.image_saved.connect(lambda path: self.set_status(path, ImageStatus.REVIEWED))
        document.image_failed.connect(self._on_image_failed)
        document.prediction_changed.connect(self.refresh_statuses)
        document.dirty_changed.connect(lambda _: self._refresh_unsaved_markers())
        document.image_saved.connect(lambda _: self._refresh_unsaved_markers())

    def _make_action(self, text: str, key: QKeySequence.StandardKey, step: int) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda: self.step(step))
        return action

    # -- contents ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Rebuild the list from the document's project and start making thumbnails."""
        self.cancel_thumbnails()
        self.list_widget.blockSignals(True)
        self.list_widget.clear()
        self._items.clear()
        self._reasons.clear()
        self._notes.clear()
        self._unreadable.clear()
        self._unsaved = set(self.document.unsaved_images())
        project = self.document.project
        self._statuses = project.statuses() if project is not None else {}
        for path in self._statuses:
            item = QListWidgetItem(self._placeholder_icon(), "")
            item.setData(PATH_ROLE, str(path))
            self._items[path] = item
            self.list_widget.addItem(item)
            self._render(path)
        self.list_widget.blockSignals(False)
        for path, reason in self.document.failed_images.items():  # before this dock existed
            self._on_image_failed(path, reason)
        self._select_current()
        self._pending_thumbnails = list(self._items)
        self.statuses_changed.emit()
        if self._painted:
            QTimer.singleShot(0, self._start_thumbnails)

    def _on_first_paint(self) -> None:
        self._painted = True  # the first frame is on screen: decoding can no longer delay it
        current = self.list_widget.currentItem()
        if current is not None:  # chosen before the dock had its size: bring it into view now
            self.list_widget.scrollToItem(current)
        self._start_thumbnails()

    def _start_thumbnails(self) -> None:
        paths, self._pending_thumbnails = self._pending_thumbnails, []
        if paths:
            side = self.thumbnail_side
            self.thumbnail_job.start(lambda cancel: thumbnails(paths, cancel, side), on_yielded=self._on_thumbnail)

    def set_thumbnail_side(self, side: int) -> None:
        """Show thumbnails `side` pixels wide, remaking them (nothing to do at the current size)."""
        if side != self.thumbnail_side:
            self.thumbnail_side = side
            self.list_widget.setIconSize(QSize(side, side))
            self.reload()

    def refresh_statuses(self) -> None:
        """Re-read statuses from disk (after predictions were written); invalid marks stay."""
        project = self.document.project
        if project is None:
            return
        for path, status in project.statuses().items():
            if path in self._items and self._statuses.get(path) is not ImageStatus.INVALID:
                self.set_status(path, status)

    def paths(self) -> list[Path]:
        """The images in display order."""
        return [Path(self.list_widget.item(row).data(PATH_ROLE)) for row in range(self.list_widget.count())]

    def status(self, path: Path) -> ImageStatus | None:
        return self._statuses.get(Path(path))

    def rows(self) -> Mapping[Path, tuple[QListWidgetItem, ImageStatus]]:
        """Each image's row and status, read-only, in no particular order (no Path is built per row)."""
        return {path: (item, self._statuses.get(path, ImageStatus.UNLABELLED)) for path, item in self._items.items()}

    def set_status(self, path: Path, status: ImageStatus) -> None:
        path = Path(path)
        if path in self._items:
            self._statuses[path] = status
            if status is not ImageStatus.INVALID:
                self._reasons.pop(path, None)
            if status is ImageStatus.REVIEWED:
                self._notes.pop(path, None)  # a score of the proposal says nothing about a reviewed label
            self._render(path)
            self.statuses_changed.emit()

    def mark_invalid(self, path: Path, reason: str = "") -> None:
        path = Path(path)
        self._reasons[path] = reason
        self.set_status(path, ImageStatus.INVALID)

    def _on_image_failed(self, path: Path, reason: str) -> None:
        self._unreadable.add(Path(path))
        self.mark_invalid(path, reason)
        if not self.document.is_loading:
            self._select_current()  # a worker's failure arrives after the row was selected

    def set_order(self, paths: Sequence[Path], notes: dict[Path, str] | None = None) -> None:
        """Show the images in this order; images not named keep their relative order at the end.
        `notes` (image -> short text, e.g. its uncertainty score) replace the rows' previous notes."""
        wanted = [Path(p) for p in paths if Path(p) in self._items]
        named = set(wanted)  # built once: a set per row made ranking O(images squared)
        rest = [p for p in self.paths() if p not in named]
        current = self.document.image_path
        self.list_widget.blockSignals(True)
        for path in wanted + rest:
            self.list_widget.takeItem(self.list_widget.row(self._items[path]))
        for path in wanted + rest:
            self.list_widget.addItem(self._items[path])
        if current in self._items:
            self.list_widget.setCurrentItem(self._items[current])
        self.list_widget.blockSignals(False)
        self.statuses_changed.emit()  # rows moved: the filter's hidden rows follow them
        if notes is not None:
            changed = set(self._notes) | {Path(p) for p in notes}
            self._notes = {Path(p): text for p, text in notes.items() if Path(p) in self._items}
            for path in changed & set(self._items):
                self._render(path)

    def note(self, path: Path) -> str | None:
        return self._notes.get(Path(path))

    def _render(self, path: Path) -> None:
        item = self._items[path]
        status = self._statuses.get(path, ImageStatus.UNLABELLED)
        unsaved = " *" if path in self._unsaved else ""
        note = f" · {self._notes[path]}" if path in self._notes else ""
        item.setText(f"{path.name}{unsaved}\n{status.value}{note}")
        item.setForeground(STATUS_COLORS[status])
        reason = self._reasons.get(path)
        item.setToolTip(f"{path}\n{status.value}" + (f": {reason}" if reason else ""))

    def _refresh_unsaved_markers(self) -> None:
        """Redraw only the rows whose unsaved state changed. The document keeps a session only per
        visited image, so `unsaved_images()` is small; redrawing every row on each image switch
        was O(images x sessions) and dominated switching in a 1000-image project."""
        unsaved = set(self.document.unsaved_images())
        changed, self._unsaved = unsaved ^ self._unsaved, unsaved
        for path in changed:
            if path in self._items:
                self._render(path)
        if changed:
            self.statuses_changed.emit()

    def _placeholder_icon(self) -> QIcon:
        pixmap = QPixmap(self.thumbnail_side, self.thumbnail_side)
        pixmap.fill(QColor(70, 70, 70))
        return QIcon(pixmap)

    def _on_thumbnail(self, item: tuple[Path, QImage]) -> None:
        path, qimage = item
        if path in self._items:
            self._items[path].setIcon(QIcon(QPixmap.fromImage(qimage)))

    def cancel_thumbnails(self) -> None:
        self._pending_thumbnails = []
        self.thumbnail_job.discard()  # no wait: a cancelled decoder stops at its next image

    # -- navigation --------------------------------------------------------------------------------
    def step(self, delta: int) -> None:
        """Open the next (+1) or previous (-1) image in list order."""
        # Row by row, not self.paths(): building every Path per key press was O(images).
        count = self.list_widget.count()
        row = self.list_widget.currentRow() + delta
        while 0 <= row < count and (self.list_widget.isRowHidden(row)  # filtered out by status
                                    or (self._unreadable and self._path_at(row) in self._unreadable)):
            row += delta
        if 0 <= row < count:
            self.list_widget.setCurrentRow(row)

    def next_unreviewed(self) -> bool:
        """Open the next image in list order that has no reviewed label (wrapping round once); False,
        with a note in the status bar, when every readable image is reviewed."""
        count = self.list_widget.count()
        start = self.list_widget.currentRow()
        for offset in range(1, count + 1):
            row = (start + offset) % count
            path = self._path_at(row)
            if path not in self._unreadable and path != self.document.image_path \
                    and self._statuses.get(path) not in (ImageStatus.REVIEWED, ImageStatus.INVALID):
                self.list_widget.setCurrentRow(row)
                return True
        self.document.status_message.emit("No other image is waiting for review.")
        return False

    def _path_at(self, row: int) -> Path:
        return Path(self.list_widget.item(row).data(PATH_ROLE))

    def _on_current_item_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        path = Path(current.data(PATH_ROLE))
        if path != self.document.image_path or self.document.is_loading:
            if not self.document.request_image(path):  # a large image loads in a worker
                self._select_current()  # stay on the image that is shown

    def _select_current(self) -> None:
        item = self._items.get(self.document.image_path) if self.document.image_path else None
        self.list_widget.blockSignals(True)
        self.list_widget.setCurrentItem(item)
        self.list_widget.blockSignals(False)
