"""How the open image is shown, apart from what it holds: `document.view` (a `ViewState`).

Four settings, each with a setter that clamps or ignores bad input and a signal that fires only on a
real change:

    view.opacity (0..1)            set_opacity(value)                     opacity_changed(float)
    view.hidden_classes            set_hidden_classes(ids)                hidden_classes_changed()
                                   set_class_visible(id, bool)
    view.view_mode (ViewMode)      set_view_mode(mode)                    view_mode_changed(ViewMode)
    view.active_class (int)        set_active_class(id)                   active_class_changed(int)

None of them touches a label map: they change what the canvas draws (colour table, overlay) and
which class the brush paints. The active class is kept to the ids of the class table: `class_count`
(given by the document) says how many classes there are, None while no project is open, when any
id is accepted.
"""
from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

DEFAULT_OPACITY = 0.5
DEFAULT_ACTIVE_CLASS = 1  # class 0 is usually background: the brush starts on the first real class


class ViewMode(enum.Enum):
    LABEL = "label"            # the reviewed label map (editable)
    PREDICTION = "prediction"  # the model's proposal
    CONFIDENCE = "confidence"  # the model's per-pixel confidence


class ViewState(QObject):
    opacity_changed = Signal(float)
    hidden_classes_changed = Signal()
    view_mode_changed = Signal(object)           # ViewMode
    active_class_changed = Signal(int)

    def __init__(self, class_count: Callable[[], int | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._class_count = class_count
        self._opacity = DEFAULT_OPACITY
        self._hidden: frozenset[int] = frozenset()
        self._view_mode = ViewMode.LABEL
        self._active_class = DEFAULT_ACTIVE_CLASS

    @property
    def opacity(self) -> float:
        return self._opacity

    @property
    def hidden_classes(self) -> frozenset[int]:
        return self._hidden

    @property
    def view_mode(self) -> ViewMode:
        return self._view_mode

    @property
    def active_class(self) -> int:
        return self._active_class

    def set_opacity(self, opacity: float) -> None:
        opacity = min(max(float(opacity), 0.0), 1.0)
        if abs(opacity - self._opacity) > 1e-9:
            self._opacity = opacity
            self.opacity_changed.emit(opacity)

    def set_hidden_classes(self, hidden: set[int] | frozenset[int]) -> None:
        hidden = frozenset(int(c) for c in hidden)
        if hidden != self._hidden:
            self._hidden = hidden
            self.hidden_classes_changed.emit()

    def set_class_visible(self, class_id: int, visible: bool) -> None:
        self.set_hidden_classes(self._hidden - {class_id} if visible else self._hidden | {class_id})

    def set_view_mode(self, mode: ViewMode) -> None:
        if mode is not self._view_mode:
            self._view_mode = mode
            self.view_mode_changed.emit(mode)

    def set_active_class(self, class_id: int) -> None:
        """Pick the class the brush paints (ignored if the table has no such class)."""
        count = self._class_count()
        if count is not None and not 0 <= class_id < count:
            return
        if class_id != self._active_class:
            self._active_class = class_id
            self.active_class_changed.emit(class_id)
