"""Protected labels, the document's setting: `document.protection` (a `ProtectionState`).

Two settings with a setter and one `changed` signal each fires on a real change:

    protection.unlabelled_only    set_unlabelled_only(bool), toggle()    every edit paints only into unlabelled pixels
    protection.locked             set_locked(ids), set_class_locked(id, bool)    classes never overwritten

`protection.rule` is the `segmodels.labels.protection.Protection` value the document hands to every
stroke it makes, so the rule is applied once, where every tool's pixels go through
(app/document/undo.py), never per tool. Locked classes are ids of the open project's class table:
they are forgotten when another project opens.
"""
from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal

from segmodels.labels.protection import Protection


class ProtectionState(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rule = Protection()

    @property
    def rule(self) -> Protection:
        return self._rule

    @property
    def unlabelled_only(self) -> bool:
        return self._rule.unlabelled_only

    @property
    def locked(self) -> frozenset[int]:
        return self._rule.locked

    def _set(self, rule: Protection) -> None:
        if rule != self._rule:
            self._rule = rule
            self.changed.emit()

    def set_unlabelled_only(self, on: bool) -> None:
        self._set(Protection(bool(on), self._rule.locked))

    def toggle(self) -> None:
        self.set_unlabelled_only(not self._rule.unlabelled_only)

    def set_locked(self, class_ids: Iterable[int]) -> None:
        self._set(Protection(self._rule.unlabelled_only, frozenset(int(c) for c in class_ids)))

    def set_class_locked(self, class_id: int, locked: bool) -> None:
        self.set_locked(self._rule.locked | {class_id} if locked else self._rule.locked - {class_id})
