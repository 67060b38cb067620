"""Where the main window appears and how big it is: a first-run size that fits the screen, the last
geometry and dock layout restored, and a restored geometry that no longer fits any screen clamped onto one.

A fixed first-run size (1400 x 900) became 2800 x 1800 under `QT_SCALE_FACTOR=2` and overflowed a
1600 x 1000 screen: the first-run size is a fraction of the screen's available geometry instead
(`FIRST_RUN_FRACTION`, capped at `FIRST_RUN_MAX`, which the README's screenshot was taken at). A
geometry saved on a larger or since-unplugged monitor is moved onto the screen the window opens on
and shrunk to it (`clamp_rect`, pure QRect arithmetic, tested without a window).

Stored in QSettings under `window/geometry` and `window/state` (`saveGeometry` / `saveState`).
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize
from PySide6.QtWidgets import QAbstractScrollArea, QDockWidget, QFrame, QMainWindow, QScrollArea

from app.preferences import APPLICATION, ORGANIZATION

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
FIRST_RUN_FRACTION = 0.85
FIRST_RUN_MAX = QSize(1400, 900)
#: The version passed to saveState/restoreState: bump it when the docks change so much that an old
#: layout would look broken; Qt then ignores the old one and the window uses its default layout.
STATE_VERSION = 1


def first_run_size(available: QRect) -> QSize:
    """A fraction of the screen's available area, never more than FIRST_RUN_MAX."""
    return QSize(min(FIRST_RUN_MAX.width(), int(available.width() * FIRST_RUN_FRACTION)),
                 min(FIRST_RUN_MAX.height(), int(available.height() * FIRST_RUN_FRACTION)))


def clamp_rect(rect: QRect, available: QRect) -> QRect:
    """`rect` shrunk to fit `available` and moved inside it (unchanged when it already fits)."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    left = min(max(rect.left(), available.left()), available.left() + available.width() - width)
    top = min(max(rect.top(), available.top()), available.top() + available.height() - height)
    return QRect(left, top, width, height)


def fits_a_screen(rect: QRect, screens: list[QRect]) -> bool:
    return any(screen.contains(rect) for screen in screens)


def _settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def _available_screens(window: QMainWindow) -> list[QRect]:
    from PySide6.QtGui import QGuiApplication

    return [screen.availableGeometry() for screen in QGuiApplication.screens()] or [
        window.screen().availableGeometry()]


def place_window(window: QMainWindow) -> bool:
    """Before the window is shown: the saved geometry if there is one (clamped onto the window's screen
    when it fits none), else the first-run size centred on that screen. True when a saved one was used."""
    saved = _settings().value(GEOMETRY_KEY)
    restored = isinstance(saved, QByteArray) and not saved.isEmpty() and window.restoreGeometry(saved)
    available = window.screen().availableGeometry()
    if not restored:
        window.resize(first_run_size(available))
        frame = QRect(window.geometry().topLeft(), window.size())
        frame.moveCenter(available.center())
        window.move(frame.topLeft())
        return False
    if not fits_a_screen(window.frameGeometry(), _available_screens(window)):
        _clamp_onto(window, available)
    return True


def fit_docks_to_screen(window: QMainWindow) -> bool:
    """On a screen smaller than the docks' minimum sizes (a laptop at QT_SCALE_FACTOR=2: the training
    form alone is ~460 px tall) their contents scroll instead of pushing the window off the screen,
    and the window is clamped onto it. True when that was needed; on a usual screen nothing changes."""
    available = window.screen().availableGeometry()
    intended = window.size()  # the first-run or restored size, before the docks' minimums push it
    window.layout().activate()  # docks just added to a shown window: their minimum sizes count now
    needed = window.minimumSizeHint()
    if needed.width() <= available.width() and needed.height() <= available.height():
        return False
    for dock in window.findChildren(QDockWidget):
        body = dock.widget()
        if body is None or isinstance(body, QAbstractScrollArea):  # a list already scrolls
            continue
        scroll = QScrollArea(dock)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)  # as wide and tall as the dock when there is room
        scroll.setWidget(body)
        dock.setWidget(scroll)
    window.layout().activate()  # the smaller minimum now, so the resize below is not refused
    window.resize(intended)  # the docks scroll now, so the size chosen for this screen holds again
    _clamp_onto(window, available)
    return True


def _clamp_onto(window: QMainWindow, available: QRect) -> None:
    """Move and shrink the window, frame included (move() places the frame, resize() the inside)."""
    frame = window.frameGeometry()
    border = frame.size() - window.geometry().size()
    clamped = clamp_rect(frame, available)
    window.resize(clamped.size() - border)
    window.move(clamped.topLeft())


def restore_dock_layout(window: QMainWindow) -> bool:
    """The docks and toolbars where the user left them; call once every dock exists. False when no
    layout was saved (or it was saved by an incompatible version)."""
    saved = _settings().value(STATE_KEY)
    return isinstance(saved, QByteArray) and not saved.isEmpty() and window.restoreState(saved, STATE_VERSION)


def save_window_layout(window: QMainWindow) -> None:
    settings = _settings()
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    settings.setValue(STATE_KEY, window.saveState(STATE_VERSION))
    settings.sync()
