"""What the window remembers between runs: the last project and its last image, the brush size, the
label opacity, the tool, the ranking mode, and (app/window/geometry.py) the window and dock layout.

- `last_session()` is what `segstudio` with no PATH reopens: the last project and its last image when
  they still exist, else None (the launcher then opens the demo, as on a first run).
- `install_session(window)`, once the docks exist: restores the dock layout and the remembered
  controls, adds File > Open Recent, applies the preferences, records the project and image soon after
  they change (so a crash still remembers them) and saves the rest when the window closes.
Values are hints: one that is missing, out of range or from another version reads as the default.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer

from app.canvas.tools import DEFAULT_BRUSH_SIZE, MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, Tool
from app.document.view_state import DEFAULT_OPACITY
from app.preferences import APPLICATION, ORGANIZATION, ChoiceSetting, IntSetting, Preferences, TextSetting

LAST_PROJECT = TextSetting("session/last_project")
LAST_IMAGE = TextSetting("session/last_image")
BRUSH_SIZE = IntSetting("tools/brush_size", DEFAULT_BRUSH_SIZE, MIN_BRUSH_SIZE, MAX_BRUSH_SIZE)
OPACITY_PERCENT = IntSetting("view/opacity_percent", round(DEFAULT_OPACITY * 100), 0, 100)
TOOL = ChoiceSetting("tools/tool", Tool.BRUSH.value, tuple(tool.value for tool in Tool))
PLACE_DELAY_MS = 2000
# read only with the model dock, after the first frame: the ranking module loads then
RANKING_MODE = ChoiceSetting("model/ranking_mode", "unsure", lambda: tuple(mode.value for mode in _ranking_modes()))


def _ranking_modes():
    from segmodels.inference.uncertainty import RankingMode

    return RankingMode


def _preferences() -> Preferences:
    return Preferences(QSettings(ORGANIZATION, APPLICATION))


def last_session() -> tuple[Path, Path | None] | None:
    """(project folder, image or None) from the last run, when that folder still exists."""
    preferences = _preferences()
    project = preferences.read(LAST_PROJECT)
    if not project or not Path(project).is_dir():
        return None
    image = preferences.read(LAST_IMAGE)
    return Path(project), (Path(image) if image and Path(image).is_file() else None)


def restore_controls(window: Any) -> None:
    """Brush size, opacity and tool on the window; the ranking mode on the model dock when there is one."""
    preferences = _preferences()
    window.tools.set_brush_size(preferences.read(BRUSH_SIZE))
    window.document.view.set_opacity(preferences.read(OPACITY_PERCENT) / 100)
    window.tools.set_tool(Tool(preferences.read(TOOL)))
    model_docks = getattr(window, "model_docks", None)
    if model_docks is not None:
        combo = model_docks.model.rank_combo
        combo.setCurrentIndex(max(0, combo.findData(_ranking_modes()(preferences.read(RANKING_MODE)))))


def save_controls(window: Any) -> None:
    values = {BRUSH_SIZE: window.tools.brush_size, OPACITY_PERCENT: round(window.document.view.opacity * 100),
              TOOL: window.tools.tool.value}
    model_docks = getattr(window, "model_docks", None)
    if model_docks is not None and isinstance(model_docks.model.rank_combo.currentData(), _ranking_modes()):
        values[RANKING_MODE] = model_docks.model.rank_combo.currentData().value
    _preferences().store_all(values)


def remember_place(window: Any) -> None:
    """The open project and image (one write of the settings file)."""
    document = window.document
    if document.project is None:
        return
    _preferences().store_all({
        LAST_PROJECT: str(document.project.root.absolute()),
        LAST_IMAGE: str(document.image_path.absolute()) if document.image_path else ""})


def install_session(window: Any) -> bool:
    """Everything above, on a window whose docks are all built. True when a saved dock layout was restored."""
    from app.window.geometry import fit_docks_to_screen, restore_dock_layout, save_window_layout
    from app.window.preference_effects import apply_preferences
    from app.window.recent import install_recent_menu

    restored = restore_dock_layout(window)
    if window.isVisible():  # docks added to a shown window count in its minimum size from the next turn
        QTimer.singleShot(0, window, lambda: fit_docks_to_screen(window))
    else:
        fit_docks_to_screen(window)
    restore_controls(window)
    apply_preferences(window)
    install_recent_menu(window, window.file_menu)
    # Stored a little after a change rather than at each one: a write of the settings file takes up to
    # tens of milliseconds, and paging through images would pay it per image. Not restarted by later
    # changes, so a crash forgets at most the last PLACE_DELAY_MS of moves.
    timer = QTimer(window)
    timer.setSingleShot(True)
    timer.setInterval(PLACE_DELAY_MS)
    timer.timeout.connect(lambda: remember_place(window))
    for signal in (window.document.project_changed, window.document.image_changed):
        signal.connect(lambda: timer.isActive() or timer.start())
    remember_place(window)  # the project opened before the docks were built (at start-up)
    window.about_to_close.append(lambda: (timer.stop(), remember_place(window), save_controls(window),
                                          save_window_layout(window)))
    return restored
