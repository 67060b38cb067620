"""Putting the stored preferences into effect on a window: `apply_preferences(window, changed)`.

Called once the window's docks exist (every stored preference) and by Edit > Preferences… on OK (only
the ones that changed, so a device picked in a dock for this session is not reset by an unrelated change):
- undo memory -> `document.set_undo_limit`;
- autosave interval -> the autosave timer (the next edit waits this long before its recovery write);
- default device -> the model and training docks' Device choice (the device their jobs run on);
- thumbnail size -> the image list (remade at the new size);
- unlabelled tint -> the canvas's label style (the U key changes both);
- SAM weights and model type -> announced through `window.preferences_changed`; the SAM backend reads
  them from `app.preferences` when it needs them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.preferences import (
    AUTOSAVE_SECONDS,
    DEFAULT_DEVICE,
    MIB,
    THUMBNAIL_PX,
    UNDO_LIMIT_MIB,
    UNLABELLED_TINT,
    Preferences,
    Setting,
)

APPLIED = (UNDO_LIMIT_MIB, AUTOSAVE_SECONDS, DEFAULT_DEVICE, THUMBNAIL_PX, UNLABELLED_TINT)


def apply_preferences(window: Any, values: Mapping[Setting, Any] | None = None) -> None:
    """Apply `values` (the dialog's, which apply even when they could not be stored), or with None
    every stored preference, to `window`; says which keys changed through `preferences_changed`."""
    if values is None:
        preferences = Preferences()
        # the device goes to the model docks: before they exist (start-up) it is not read, which keeps
        # the architecture catalog (its list of devices) out of the first frame
        applied = [s for s in APPLIED if s is not DEFAULT_DEVICE or getattr(window, "model_docks", None)]
        values = {setting: preferences.read(setting) for setting in applied}
    if UNDO_LIMIT_MIB in values:
        window.document.set_undo_limit(values[UNDO_LIMIT_MIB] * MIB)
    if AUTOSAVE_SECONDS in values:
        window.autosave.timer.setInterval(values[AUTOSAVE_SECONDS] * 1000)
    model_docks = getattr(window, "model_docks", None)
    if DEFAULT_DEVICE in values and model_docks is not None:
        for combo in (model_docks.model.device_combo, model_docks.training.device_combo):
            combo.setCurrentText(values[DEFAULT_DEVICE])
    if THUMBNAIL_PX in values and window.image_list is not None:
        window.image_list.set_thumbnail_side(values[THUMBNAIL_PX])
    if UNLABELLED_TINT in values:
        window.canvas.label_style.set_show_unlabelled(values[UNLABELLED_TINT])
    window.preferences_changed.emit(frozenset(setting.key for setting in values))
