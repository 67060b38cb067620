"""Undo steps for label edits: each holds only the changed pixels (STYLE.md convention 3).

A `Stroke` builds one step from many dabs while the mouse is down: each `paint()` writes the pixels
at once (the user sees them), recording a `PaintAtom`; `finish()` hands the atoms to the document,
which pushes them as one `PaintCommand`, and `cancel()` writes the old values back and leaves no
step. A stroke is also a context manager (napari's `block_history`): `with document.edit("Fill") as
stroke:` finishes it on a normal exit and cancels it when the block raises (the label map restored
bit for bit, the exception propagates); a stroke the document already finished inside the block
(an image switch, an undo) stays committed. A stroke made when nothing can be edited (no image, or
one loading) is closed from the start: `paint()` does nothing and returns None.

A `PaintCommand` is one user action (a whole brush stroke, one flood fill, "accept prediction") made
of `PaintAtom`s, each a bounding box + mask + old values + new value(s). The pixels are already
written when the command is pushed (the user saw them while dragging), so the first `redo()` that
QUndoStack.push() calls does nothing; later undo/redo replay the atoms on the same label map array.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

import numpy as np
from PySide6.QtGui import QUndoCommand

from segmodels.labels.edits import Box, PaintAtom, apply_atom, make_atom, revert_atom, union_box

#: Called after the command changed `label_map` inside `box`, so the document can tell the views.
ChangedCallback = Callable[[np.ndarray, Box], None]


class PaintCommand(QUndoCommand):
    def __init__(self, text: str, label_map: np.ndarray, atoms: Sequence[PaintAtom],
                 on_changed: ChangedCallback) -> None:
        super().__init__(text)
        self._label_map = label_map
        self._atoms = tuple(atoms)
        self._on_changed = on_changed
        self._already_applied = True
        box = None
        for atom in self._atoms:
            box = union_box(box, atom.box)
        self._box = box

    @property
    def box(self) -> Box | None:
        return self._box

    @property
    def atoms(self) -> tuple[PaintAtom, ...]:
        return self._atoms

    def redo(self) -> None:
        if self._already_applied:
            self._already_applied = False
            return
        for atom in self._atoms:
            apply_atom(self._label_map, atom)
        self._notify()

    def undo(self) -> None:
        # Reverse order: a later atom's old values were recorded after the earlier atoms were written.
        for atom in reversed(self._atoms):
            revert_atom(self._label_map, atom)
        self._notify()

    def _notify(self) -> None:
        if self._box is not None:
            self._on_changed(self._label_map, self._box)


class Stroke:
    """One undoable edit built from many dabs; made by `LabelDocument.begin_stroke` / `edit`.

    `label_map` None makes a closed stroke (nothing to edit): every call is a no-op."""

    def __init__(self, text: str, label_map: np.ndarray | None, on_changed: ChangedCallback,
                 on_finished: Callable[[Stroke], None]) -> None:
        self.text = text
        self.label_map = label_map
        self.atoms: list[PaintAtom] = []
        self.open = label_map is not None
        self._on_changed = on_changed
        self._on_finished = on_finished

    def __enter__(self) -> Stroke:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> bool:
        if kind is None:
            self.finish()
        else:
            self.cancel()
        return False  # an exception inside the block still propagates

    def paint(self, y0: int, x0: int, mask: np.ndarray, value: np.ndarray | int) -> Box | None:
        """Set `mask` (placed at y0, x0) to `value` now; returns the changed box, or None."""
        if not self.open:
            return None
        atom = make_atom(self.label_map, y0, x0, mask, value)
        if atom is None:
            return None
        apply_atom(self.label_map, atom)
        self.atoms.append(atom)
        self._on_changed(self.label_map, atom.box)
        return atom.box

    def finish(self) -> None:
        """Commit: the document pushes the atoms as one undo step (none if nothing changed)."""
        if self.open:
            self.open = False
            self._on_finished(self)

    def cancel(self) -> None:
        """Take the stroke's pixels back without leaving an undo step."""
        if self.open:
            self.open = False
            PaintCommand(self.text, self.label_map, self.atoms, self._on_changed).undo()
            self.atoms = []
            self._on_finished(self)
