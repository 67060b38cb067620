"""View menu toggles for how labels are drawn, bound both ways to the canvas's `LabelStyle`:
Contours (O: class outlines only) and Show unlabelled (U: tint unlabelled pixels)."""
from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from app.canvas.label_style import LabelStyle
from app.preferences import UNLABELLED_TINT, Preferences


class StyleActions(NamedTuple):
    contours: QAction
    unlabelled: QAction


def _toggle(parent: QObject, text: str, key: str, tip: str) -> QAction:
    action = QAction(text, parent, checkable=True)
    action.setShortcut(QKeySequence(key))
    action.setToolTip(f"{tip} ({key})")
    action.setStatusTip(f"{tip} ({key})")
    return action


def make_style_actions(style: LabelStyle, parent: QObject) -> StyleActions:
    actions = StyleActions(
        _toggle(parent, "&Contours", "O", "Show class outlines only, one screen pixel wide"),
        _toggle(parent, "Show &unlabelled", "U", "Tint unlabelled pixels so they differ from any class"))

    def show() -> None:  # the style -> the check marks (setChecked emits toggled only on a change)
        actions.contours.setChecked(style.contours)
        actions.unlabelled.setChecked(style.show_unlabelled)

    show()
    style.changed.connect(show)
    actions.contours.toggled.connect(style.set_contours)
    actions.unlabelled.toggled.connect(style.set_show_unlabelled)
    actions.unlabelled.triggered.connect(_remember_tint)  # a user's U (not a preference applied) is kept
    return actions


def _remember_tint(on: bool) -> None:
    Preferences().store(UNLABELLED_TINT, bool(on))  # False (file not writable): it still applies now
