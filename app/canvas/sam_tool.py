"""The Segment Anything tool (S): clicks and a box give a mask preview that follows the mouse.

A click is a positive prompt ("this is the object"), Ctrl or Shift+click a negative one (Alt+click
stays the class picker on every tool), a drag draws a box; Backspace takes back the last click (then
the box), Enter or a double click paints the previewed mask with the active class as one undo step,
Esc cancels. Until the first click or box, the pixel under the mouse is a provisional positive click,
so the object under the cursor lights up before any click.

The work runs in the `Pool.PROMPTS` worker thread through one `SamEngine` (segmodels.prompts): the
first prompt on an image runs the image encoder (seconds on a CPU; a busy cursor and a status note
say so), later prompts only the cheap decoder, and the embeddings of the last few images stay cached.
At most one request is in flight: a newer prompt made meanwhile waits, and only the newest waiting
one is sent when the answer arrives, so the preview follows the mouse as fast as the decoder allows.

Without a checkpoint in the preferences (or with one that is gone, or without the package)
`unavailable_reason()` gives the sentence the status bar shows while the tool controller falls back to
GrabCut (G).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.canvas.prompt_editing import PromptEditing
from app.document.label_document import LabelDocument
from segmodels.labels.grabcut import Box, Point, normalised_box
from segmodels.prompts.base import NO_WEIGHTS

NAME = "Segment Anything"
_ENGINE: Any = None  # one per process: the loaded model and the cached embeddings outlive tool switches


class SamPrompt(NamedTuple):
    """What the overlay shows: the box (or None) and the clicks given."""

    box: Box | None
    positives: tuple[Point, ...]
    negatives: tuple[Point, ...]


class SamRequest(NamedTuple):
    """One call to the engine, in the packages' (x, y) order."""

    points: tuple[tuple[float, float], ...]
    labels: tuple[int, ...]
    box: tuple[float, float, float, float] | None


def engine() -> Any:
    global _ENGINE
    if _ENGINE is None:
        from segmodels.prompts.engine import SamEngine

        _ENGINE = SamEngine()
    return _ENGINE


def weights_setting() -> tuple[str, str]:
    """The checkpoint path and model type chosen in Edit > Preferences."""
    from app.preferences import SAM_MODEL_TYPE, SAM_WEIGHTS_PATH, Preferences

    preferences = Preferences()
    return str(preferences.read(SAM_WEIGHTS_PATH)).strip(), str(preferences.read(SAM_MODEL_TYPE))


def unavailable_reason() -> str | None:
    """The status-bar sentence when Segment Anything cannot run (the tool then falls back to GrabCut):
    no checkpoint chosen, the file chosen is gone, or neither SAM package is installed."""
    import importlib.util
    from pathlib import Path

    weights = weights_setting()[0]
    if not weights:
        reason = NO_WEIGHTS[:-1]
    elif not Path(weights).expanduser().is_file():
        reason = f"The Segment Anything checkpoint '{weights}' does not exist; choose another in Edit > Preferences"
    elif not any(importlib.util.find_spec(name) for name in ("segment_anything", "sam2")):
        reason = "Segment Anything needs its package: pip install segment-anything"
    else:
        return None
    return reason + "; GrabCut (G) is used until then."


def mask_box(mask: np.ndarray) -> tuple[int, int, np.ndarray] | None:
    """(y0, x0, crop) of the mask's bounding box, or None when it is empty: the preview layer and
    the undo step then hold only the object's neighbourhood, not a whole-image array."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return int(y0), int(x0), np.ascontiguousarray(mask[y0:y1, x0:x1])


class SamTool(PromptEditing, QObject):
    changed = Signal()            # box, clicks or preview changed: the overlay redraws
    busy_changed = Signal(bool)   # the image encoder runs (the slow part): busy cursor

    def __init__(self, document: LabelDocument, parent: QObject | None = None, *, mask_function=None) -> None:
        """`mask_function(image_key, rgb, request) -> HxW bool mask` runs in the worker; by default
        the engine with the checkpoint from the preferences."""
        super().__init__(parent)
        self.document, self.name = document, NAME
        self._mask_function = mask_function or self._engine_mask
        self.drag_threshold = 3.0
        self._box: Box | None = None
        self._clicks: list[tuple[Point, bool]] = []
        self._hover: Point | None = None
        self._pressed: Point | None = None
        self._negative = False
        self.drag_box: tuple[Point, Point] | None = None
        self.preview: tuple[int, int, np.ndarray] | None = None
        self._in_flight: SamRequest | None = None
        self._waiting: SamRequest | None = None
        self._generation = 0          # bumped on cancel/commit/image switch: older answers are dropped
        self._commit_pending = False
        self._embedding = False
        self._hover_stopped = False   # after a failure, hovering asks nothing until the next click
        document.image_changed.connect(self.cancel)

    # -- state -------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """The button is down (moves draw the box)."""
        return self._pressed is not None

    @property
    def prompt(self) -> SamPrompt:
        return SamPrompt(self._box, tuple(p for p, positive in self._clicks if positive),
                         tuple(p for p, positive in self._clicks if not positive))

    @property
    def is_open(self) -> bool:
        return bool(self._box is not None or self._clicks or self.preview is not None or self._pressed)

    def request(self) -> SamRequest | None:
        """The engine call for the prompt as it stands (the hover point counts until the first click)."""
        clicks = list(self._clicks)
        if not clicks and self._box is None and self._hover is not None:
            clicks = [(self._hover, True)]
        if not clicks and self._box is None:
            return None
        box = None if self._box is None else (self._box[1], self._box[0], self._box[3] - 1, self._box[2] - 1)
        return SamRequest(tuple((x + 0.5, y + 0.5) for (y, x), _ in clicks),
                          tuple(int(positive) for _, positive in clicks), box)

    # -- events ------------------------------------------------------------------------------------
    def press(self, y: int, x: int, negative: bool = False) -> None:
        if self.document.image is None or self.document.is_loading:
            return
        self._pressed, self._negative = (y, x), negative
        self._hover_stopped = False
        self.drag_box = None

    def move(self, y: int, x: int) -> None:
        if self._pressed is None:
            return
        moved = max(abs(y - self._pressed[0]), abs(x - self._pressed[1]))
        if self.drag_box is not None or moved >= self.drag_threshold:
            self.drag_box = (self._pressed, (y, x))
            self.changed.emit()

    def release(self, y: int | None = None, x: int | None = None) -> None:
        if self._pressed is None:
            return
        if y is not None and x is not None:
            self.move(y, x)
        if self.drag_box is not None:
            self._box = normalised_box(*self.drag_box)
        else:
            self._clicks.append((self._pressed, not self._negative))
        self._pressed, self.drag_box = None, None
        self._ask()

    def hover(self, y: int, x: int) -> None:
        if self._clicks or self._box is not None or self.document.image is None or self._hover_stopped:
            return  # the preview follows the mouse only until the prompt has a click or a box
        height, width = self.document.image.shape[:2]
        point = (y, x) if 0 <= y < height and 0 <= x < width else None
        if point != self._hover:
            self._hover = point
            self._ask()

    def _take_back(self) -> bool:
        """The last click, then the box."""
        if self._clicks:
            self._clicks.pop()
        elif self._box is not None:
            self._box = None
        else:
            return False
        return True

    # -- outcomes ----------------------------------------------------------------------------------
    def commit(self) -> bool:
        """Paint the previewed mask with the active class (one undo step) and start afresh."""
        if self._in_flight is not None or self._waiting is not None:
            self._commit_pending = True  # committed when the newest answer arrives
            return False
        preview = self.preview
        self._reset()
        return self._paint(preview, NAME)

    def cancel(self) -> None:
        self._hover = None
        if self.is_open or self._in_flight is not None or self._waiting is not None:
            self._reset()

    def _reset(self) -> None:
        self._generation += 1
        self._box, self._clicks, self.preview, self.drag_box, self._pressed = None, [], None, None, None
        self._waiting, self._commit_pending = None, False
        self.changed.emit()

    # -- the engine, off the GUI thread ------------------------------------------------------------
    def _ask(self) -> None:
        self.changed.emit()  # the clicks and box show at once; the mask when it arrives
        request = self.request()
        if request is None:
            self.preview = None
            self._waiting = None
            self.changed.emit()
            return
        if self._in_flight is not None:
            self._waiting = request  # throttled: sent when the one in flight returns
            return
        self._start(request)

    def _image_key(self) -> tuple:
        from segmodels.stamps import FileStamp

        path = self.document.image_path
        return str(path), FileStamp.of(path, content=False) if path is not None else id(self.document.image)

    def _engine_mask(self, image_key: tuple, rgb: np.ndarray, request: SamRequest) -> np.ndarray:
        weights, model_type = weights_setting()
        return engine().mask(weights, model_type, image_key, rgb, request.points, request.labels, request.box)

    def _follow_device_preference(self) -> None:
        """The engine computes on the device chosen for jobs in Edit > Preferences (auto: CUDA when present)."""
        from app.preferences import DEFAULT_DEVICE, Preferences

        engine().device = str(Preferences().read(DEFAULT_DEVICE))

    def _start(self, request: SamRequest) -> None:
        from app.jobs.pools import Pool, pool
        from app.jobs.worker import GeneratorWorker, start_worker

        generation, image, key, function = self._generation, self.document.image, self._image_key(), self._mask_function
        if function == self._engine_mask:
            self._follow_device_preference()  # set here, on the GUI thread, before the worker reads it
        if function == self._engine_mask and engine().needs_embedding(*weights_setting(), key):
            self._set_embedding(True)
            self.document.status_message.emit(f"{NAME}: reading the image (the first prompt on each image "
                                              "takes a few seconds)…")
        self._in_flight = request
        worker = GeneratorWorker.for_call(lambda cancel: function(key, image, request))
        worker.signals.returned.connect(lambda mask: self._arrived(generation, mask))
        worker.signals.errored.connect(lambda sentence: self._failed(generation, sentence))
        start_worker(worker, pool(Pool.PROMPTS))

    def _arrived(self, generation: int, mask: np.ndarray) -> None:
        self._in_flight = None
        self._set_embedding(False)
        if self._waiting is not None:  # (a reset drops it: what waits is always for the prompt now)
            waiting, self._waiting = self._waiting, None
            self._start(waiting)  # the prompt moved on: only its newest state is worth an answer
            return
        if generation != self._generation:
            return  # cancelled, committed or another image meanwhile
        self.preview = mask_box(mask)
        self.changed.emit()
        if self._commit_pending:
            self._commit_pending = False
            self.commit()

    def _failed(self, generation: int, sentence: str) -> None:
        self._in_flight = None
        self._set_embedding(False)
        if generation == self._generation:
            self._waiting, self._commit_pending, self._hover, self._hover_stopped = None, False, None, True
            self._clicks, self._box, self.preview = [], None, None
            self.changed.emit()
            self.document.error.emit(sentence)

    def _set_embedding(self, embedding: bool) -> None:
        if embedding != self._embedding:
            self._embedding = embedding
            self.busy_changed.emit(embedding)
