"""Reading one image with its label, prediction and confidence: the part of opening an image that
may run off the GUI thread.

`load_view(project, path, ...)` does every file read and decode that `LabelDocument` needs to show an
image and returns a `LoadedView`; it touches no Qt object and no document state, so the document can
run it in a worker (`ImageLoader`, one load at a time, a newer one supersedes) for a large image and
swap the result in when it arrives, or call it directly for a small one. Problems with the label or
the prediction files do not fail the load: they come back as sentences (`label_errors` for a message
box, `notes` for the status bar), which the document shows only if it actually uses what was read.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.jobs.pools import Pool, pool
from app.jobs.slot import JobSlot, StartPolicy
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.labels.imageio import image_size, read_image, upright_note
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project
from segmodels.stamps import FileStamp

#: Images of at least this many pixels are decoded in a worker (a 2048 x 2048 PNG takes about
#: 0.1 s to decode on a loaded 2-core machine; below that the thread hop buys nothing).
ASYNC_MIN_PIXELS = 4 * 1024 * 1024


@dataclass(eq=False)
class LoadedView:
    """Everything read for one image. `label_map` is None when there is no usable label file (or it
    was not asked for); `pyramid` holds ready-made half-size levels of `rgb` (possibly none), and
    `class_levels` those of the label map and the prediction (a large image only)."""

    path: Path
    rgb: np.ndarray
    conversions: tuple[str, ...] = ()
    label_map: np.ndarray | None = None
    label_errors: list[str] = field(default_factory=list)
    prediction: np.ndarray | None = None
    confidence: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    pyramid: list[np.ndarray] = field(default_factory=list)
    #: (class map, its smaller levels) for the label map and the prediction, made with `pyramid`.
    class_levels: list[tuple[np.ndarray, list[np.ndarray]]] = field(default_factory=list)
    #: The image and label files as they were before reading (a later save checks them: conflicts.py)
    image_stamp: FileStamp | None = None
    label_stamp: FileStamp | None = None


def is_large(path: Path) -> bool:
    """True when `path`'s header claims at least ASYNC_MIN_PIXELS pixels (header only, no decode).
    An unreadable header counts as small: the synchronous path reports it at once."""
    try:
        height, width = image_size(path)
    except SegError:
        return False
    return height * width >= ASYNC_MIN_PIXELS


def load_view(project: Project, path: Path, *, build_pyramid: bool = False,
              cancel: Callable[[], bool] = lambda: False) -> LoadedView | None:
    """Read image `path` (SegError if it cannot be shown) and its side files; None if cancelled."""
    image_stamp = FileStamp.of(path, content=False)  # taken first: a change while reading shows later, never hides
    loaded = read_image(path)
    view = LoadedView(path, loaded.rgb, loaded.conversions, image_stamp=image_stamp)
    shape = loaded.rgb.shape[:2]
    if not cancel():
        view.label_stamp = FileStamp.of(project.label_path(path))
        view.label_map = _read_label(project, project.label_path(path), shape, view.label_errors,
                                     loaded.orientation)
    if not cancel():
        view.prediction = read_side_file(project.prediction_path(path), shape, view.notes)
        view.confidence = read_side_file(project.confidence_path(path), shape, view.notes)
    if build_pyramid and not cancel():
        from segmodels.labels.pyramid import class_pyramid, image_pyramid  # numpy/OpenCV only: safe in a worker

        view.pyramid = image_pyramid(view.rgb)
        if view.label_map is None:  # what the document would make on the GUI thread: made here
            view.label_map = np.full(shape, IGNORE_INDEX, dtype=np.uint8)
        view.class_levels = [(view.label_map, class_pyramid(view.label_map))]
        if view.prediction is not None and not cancel():
            view.class_levels.append((view.prediction, class_pyramid(view.prediction)))
    return None if cancel() else view


class ImageLoader(QObject):
    """At most one `load_view` in a worker; starting another drops the older one's result.

    Loads run in a `JobSlot` with the REPLACE policy on their own one-thread pool (`Pool.IMAGES`),
    so a load never queues behind thumbnails, validation or model work."""

    loaded = Signal(object)           # LoadedView of the load still wanted
    failed = Signal(object, str)      # image Path, one sentence
    busy_changed = Signal(object)     # image Path being loaded, None when idle

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = JobSlot(pool(Pool.IMAGES), self, StartPolicy.REPLACE)
        self.path: Path | None = None

    @property
    def is_busy(self) -> bool:
        return self.path is not None  # False already when `loaded` is emitted

    def start(self, project: Project, path: Path) -> None:
        self.cancel()
        self.path = path
        self.busy_changed.emit(path)
        self.job.call(lambda cancel: load_view(project, path, build_pyramid=True, cancel=cancel),
                      on_returned=self._on_returned, on_errored=lambda sentence: self._on_errored(path, sentence),
                      on_finished=self._on_finished)

    def cancel(self) -> None:
        """Forget the load in progress (its result is dropped when it arrives)."""
        if self.path is not None:
            self.job.discard()
            self.path = None
            self.busy_changed.emit(None)

    def _on_returned(self, view: LoadedView | None) -> None:
        if view is not None:
            self._finish()
            self.loaded.emit(view)

    def _on_errored(self, path: Path, sentence: str) -> None:
        self._finish()
        self.failed.emit(path, sentence)

    def _on_finished(self) -> None:
        if self.path is not None:  # ended without a result (cancelled from inside)
            self._finish()

    def _finish(self) -> None:
        """The load still wanted has ended: no longer in progress (reported before its result)."""
        self.path = None
        self.busy_changed.emit(None)


def _read_label(project: Project, file: Path, shape: tuple[int, ...], errors: list[str],
                orientation: int) -> np.ndarray | None:
    if not file.exists():
        return None
    try:
        stored = project.read_label_file(file)  # in the file's own encoding (grey, colour, one-hot...)
    except SegError as exc:
        errors.append(f"{exc} Showing an empty label; saving will replace the file.")
        return None
    if stored.shape != shape:
        errors.append(f"Label {describe(file)} is {stored.shape[1]}x{stored.shape[0]} but the image is "
                      f"{shape[1]}x{shape[0]}{upright_note(orientation)}; showing an empty label.")
        return None
    return np.ascontiguousarray(stored)


def read_side_file(file: Path, shape: tuple[int, ...], notes: list[str]) -> np.ndarray | None:
    """A prediction or confidence map; problems become status-bar notes, never a failure."""
    if not file.exists():
        return None
    try:
        array = np.ascontiguousarray(read_label_png(file))
    except SegError as exc:
        notes.append(str(exc))
        return None
    if array.shape != shape:
        notes.append(f"{describe(file)} does not match the image size; ignored.")
        return None
    return array
