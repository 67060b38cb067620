"""Accessible names and tooltips for every button, tool, input and dock of the window.

Screen readers announce a control by its accessible name, and UI tests find controls by it; a button
without a tooltip leaves the user guessing what it does and which key does the same. `name_widgets`
walks the window and fills in only what is missing, from what the user already sees: a button's or
action's text (and its key), a dock's title, the form label beside an input. Tooltips written by hand
stay. `unnamed(window)` lists what still lacks either (the test asserts it is empty). The walk runs
once the docks are in (app/startup/gui.py) and again when a dock is first shown, since the training
dock builds its curves then.
"""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLineEdit,
    QScrollBar,
    QTabBar,
    QToolButton,
    QWidget,
)

#: What a user operates: these must carry a name and a tooltip.
CONTROLS = (QAbstractButton, QComboBox, QAbstractSlider, QAbstractSpinBox, QLineEdit, QDockWidget)


def _plain(text: str) -> str:
    return " ".join(text.replace("&&", "\0").replace("&", "").replace("\0", "&").split())


def _form_label(widget: QWidget) -> str:
    """The text of the QFormLayout label beside `widget` (or beside the row that holds it); form
    layouts are often nested in the dock's outer layout, so every one under the parent is asked."""
    child = widget
    while child is not None and child.parentWidget() is not None:
        for form in child.parentWidget().findChildren(QFormLayout):
            label = form.labelForField(child)
            text = _plain(label.text()) if label is not None and hasattr(label, "text") else ""
            if text:
                return text.rstrip(":")
        child = child.parentWidget()
    return ""


def _visible_name(widget: QWidget) -> str:
    if isinstance(widget, QDockWidget):
        return _plain(widget.windowTitle())
    if isinstance(widget, QToolButton) and widget.defaultAction() is not None:
        return _plain(widget.defaultAction().text())
    if isinstance(widget, QAbstractButton) and _plain(widget.text()):
        return _plain(widget.text())
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        return _plain(widget.placeholderText())
    return _form_label(widget) or _plain(widget.toolTip().split("(")[0]) or _plain(widget.objectName())


def _tooltip(widget: QWidget, name: str) -> str:
    if isinstance(widget, QDockWidget):
        return f"{name} panel: drag its title to move it; View menu shows or hides it"
    action = widget.defaultAction() if isinstance(widget, QToolButton) else None
    key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText) if action is not None else ""
    if not key and isinstance(widget, QAbstractButton):
        key = widget.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return f"{name} ({key})" if key else name


def _is_internal(widget: QWidget) -> bool:
    """Qt's own parts of a composite widget (a dock's float/close buttons, a tab bar's scroll arrows,
    a spin box's line edit): Qt names those itself."""
    parent = widget.parentWidget()
    if isinstance(widget, QScrollBar) or widget.objectName().startswith("qt_"):  # scroll areas', toolbars' own
        return True
    return (isinstance(parent, (QDockWidget, QTabBar, QAbstractSpinBox, QComboBox))
            and not isinstance(widget, QDockWidget) and widget is not getattr(parent, "widget", lambda: None)())


def controls(window: QWidget) -> list[QWidget]:
    return [w for w in window.findChildren(QWidget) if isinstance(w, CONTROLS) and not _is_internal(w)]


def name_widgets(window: QWidget) -> None:
    for widget in controls(window):
        name = widget.accessibleName() or _visible_name(widget)
        if name and not widget.accessibleName():
            widget.setAccessibleName(name)
        if name and not widget.toolTip():
            widget.setToolTip(_tooltip(widget, name))


def install_accessible_names(window: QWidget) -> None:
    """Name everything now, and a dock's late-built contents when it is shown."""
    name_widgets(window)
    for dock in window.findChildren(QDockWidget):
        dock.visibilityChanged.connect(lambda visible, d=dock: visible and name_widgets(d))


def unnamed(window: QWidget) -> list[str]:
    """'ClassName "text"' of each control without an accessible name or a tooltip."""
    return [f'{type(w).__name__} "{_visible_name(w)}"' for w in controls(window)
            if not w.accessibleName() or not w.toolTip()]
