"""Box-and-click prompt tools (GrabCut, G): drag a box, click to refine, Enter commits the mask.

`PromptTool` collects a box (the first drag) and then positive clicks (plain) and negative clicks
(Ctrl or Shift held), and after each change asks its backend for a mask in a worker thread
(`app.jobs.worker`, the `Pool.PROMPTS` pool), so a slow backend never freezes the window; a result
that arrives after a newer request, a cancel or an image switch is dropped. The mask is previewed
(`app.canvas.tool_overlays`); Enter or a double click paints it with the active class as one undo
step (after the result arrives, when it is still being computed), Backspace takes back the last
click, Esc cancels.

A backend is one function, `MaskBackend`: (RGB image, `Prompt`) -> (y0, x0, mask) or None, run off
the GUI thread. `grabcut_backend` is OpenCV GrabCut (segmodels.labels.grabcut, no weights); a
Segment Anything backend plugs in the same way: `PromptTool(document, sam_backend, "Segment")`.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.canvas.prompt_editing import PromptEditing
from app.document.label_document import LabelDocument
from segmodels.labels.grabcut import Box, Point, Prompt, grabcut_mask, normalised_box

MaskResult = tuple[int, int, np.ndarray]
MaskBackend = Callable[[np.ndarray, Prompt], "MaskResult | None"]


def grabcut_backend(image: np.ndarray, prompt: Prompt) -> MaskResult | None:
    return grabcut_mask(image, prompt)


class PromptTool(PromptEditing, QObject):
    changed = Signal()            # box, clicks or preview changed: the overlay redraws
    busy_changed = Signal(bool)   # a mask is being computed

    def __init__(self, document: LabelDocument, backend: MaskBackend, name: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.backend, self.name = document, backend, name
        self._box: Box | None = None
        self._clicks: list[tuple[Point, bool]] = []   # (y, x), positive; in the order given
        self.preview: MaskResult | None = None
        self.drag_box: tuple[Point, Point] | None = None   # corners while the box is dragged
        self._request = 0             # the newest request; older results are dropped
        self._computing = False
        self._commit_pending = False
        self._workers: set = set()
        document.image_changed.connect(self.cancel)

    @property
    def prompt(self) -> Prompt | None:
        if self._box is None:
            return None
        return Prompt(self._box, tuple(p for p, positive in self._clicks if positive),
                      tuple(p for p, positive in self._clicks if not positive))

    @property
    def busy(self) -> bool:
        """The button is down dragging the box (moves resize it)."""
        return self.drag_box is not None

    @property
    def computing(self) -> bool:
        return self._computing

    @property
    def is_open(self) -> bool:
        return self._box is not None or self.drag_box is not None

    # -- events ------------------------------------------------------------------------------------
    def press(self, y: int, x: int, negative: bool = False) -> None:
        if self.document.image is None or self.document.is_loading:
            return
        if self._box is None:
            self.drag_box = ((y, x), (y, x))
            self.changed.emit()
            return
        self._clicks.append(((y, x), not negative))
        self._ask()

    def move(self, y: int, x: int) -> None:
        if self.drag_box is not None:
            self.drag_box = (self.drag_box[0], (y, x))
            self.changed.emit()

    def hover(self, y: int, x: int) -> None:
        """Nothing follows the mouse between clicks."""

    def release(self, y: int | None = None, x: int | None = None) -> None:
        if self.drag_box is None:
            return
        if y is not None and x is not None:
            self.move(y, x)
        box = normalised_box(*self.drag_box)
        self.drag_box = None
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            self.changed.emit()
            self.document.status_message.emit(f"{self.name}: drag a box around the object first.")
            return
        self._box = box
        self._ask()

    def _take_back(self) -> bool:
        if not self._clicks:
            return False
        self._clicks.pop()
        return True

    # -- outcomes ----------------------------------------------------------------------------------
    def commit(self) -> bool:
        """Paint the previewed mask with the active class (one undo step) and start afresh."""
        if self._computing:
            self._commit_pending = True  # committed when the result arrives
            return False
        preview = self.preview
        self._reset()
        return self._paint(preview, self.name)

    def cancel(self) -> None:
        if self.is_open or self.preview is not None or self._computing:
            self._reset()

    def _reset(self) -> None:
        self._request += 1  # results on their way are for a prompt that is gone
        self._drop_workers()
        self._box, self._clicks, self.preview, self.drag_box = None, [], None, None
        self._commit_pending = False
        self._set_computing(False)
        self.changed.emit()

    # -- the backend, off the GUI thread -----------------------------------------------------------
    def _ask(self) -> None:
        from app.jobs.pools import Pool, pool
        from app.jobs.worker import GeneratorWorker, start_worker

        prompt = self.prompt
        self._drop_workers()  # queued requests for an older prompt never start
        self._request += 1
        request, image, backend = self._request, self.document.image, self.backend
        worker = GeneratorWorker.for_call(lambda cancel: backend(image, prompt))
        worker.signals.returned.connect(lambda result: self._arrived(request, result))
        worker.signals.errored.connect(lambda sentence: self._failed(request, sentence))
        worker.signals.finished.connect(lambda: self._workers.discard(worker))
        self._workers.add(worker)
        self._set_computing(True)
        self.changed.emit()
        start_worker(worker, pool(Pool.PROMPTS))

    def _drop_workers(self) -> None:
        for worker in self._workers:
            worker.cancel()

    def _arrived(self, request: int, result: MaskResult | None) -> None:
        if request != self._request:
            return
        self.preview = result
        self._set_computing(False)
        self.changed.emit()
        if result is None:
            self.document.status_message.emit(f"{self.name} found nothing in this box.")
        if self._commit_pending:
            self._commit_pending = False
            self.commit()

    def _failed(self, request: int, sentence: str) -> None:
        if request == self._request:
            self._set_computing(False)
            self._commit_pending = False
            self.document.error.emit(sentence)

    def _set_computing(self, computing: bool) -> None:
        if computing != self._computing:
            self._computing = computing
            self.busy_changed.emit(computing)
