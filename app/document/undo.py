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
The command keeps its atoms packed (`segmodels.labels.edits.pack_atom`: changed pixels only, bit-packed
and zlib-compressed) and unpacks them only to undo or redo; `nbytes` is what it holds, counted by the
undo budget (app/document/undo_budget.py). Each command carries a `sequence` number, increasing in
the order commands are made across all images, so the budget can drop the oldest steps first.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from types import TracebackType

import numpy as np
from PySide6.QtGui import QUndoCommand

from segmodels.labels.edits import (
    Box,
    PackedAtom,
    PaintAtom,
    Writable,
    apply_atom,
    apply_packed,
    make_atom,
    pack_atom,
    revert_atom,
    revert_packed,
    union_box,
)

#: Called after the command changed `label_map` inside `box`, so the document can tell the views.
ChangedCallback = Callable[[np.ndarray, Box], None]

_sequence = itertools.count()


class PaintCommand(QUndoCommand):
    def __init__(self, text: str, label_map: np.ndarray, atoms: Sequence[PaintAtom],
                 on_changed: ChangedCallback) -> None:
        super().__init__(text)
        self._label_map = label_map
        self._packed = tuple(pack_atom(atom) for atom in atoms)
        self._nbytes = sum(packed.nbytes for packed in self._packed)  # summed once: the budget asks often
        self._on_changed = on_changed
        self._already_applied = True
        #: While True, redo() and undo() do nothing: the undo budget rebuilds a stack from clones
        #: whose pixels are already where the rebuilt stack's index says they are.
        self.silent = False
        self.sequence = next(_sequence)
        box = None
        for atom in atoms:
            box = union_box(box, atom.box)
        self._box = box

    @property
    def box(self) -> Box | None:
        return self._box

    @property
    def atoms(self) -> tuple[PaintAtom, ...]:
        """The atoms unpacked (full masks and values: for inspection, not kept)."""
        return tuple(packed.unpack() for packed in self._packed)

    @property
    def packed_atoms(self) -> tuple[PackedAtom, ...]:
        return self._packed

    @property
    def nbytes(self) -> int:
        """Memory held by this step's recorded pixels."""
        return self._nbytes

    def clone(self) -> PaintCommand:
        """The same step (same atoms, label map and sequence) for a rebuilt stack; made silent."""
        twin = PaintCommand(self.text(), self._label_map, (), self._on_changed)
        twin._packed, twin._nbytes, twin._box = self._packed, self._nbytes, self._box
        twin.sequence, twin.silent = self.sequence, True
        return twin

    def redo(self) -> None:
        if self._already_applied or self.silent:
            self._already_applied = False
            return
        for packed in self._packed:
            apply_packed(self._label_map, packed)
        self._notify()

    def undo(self) -> None:
        if self.silent:
            return
        # Reverse order: a later atom's old values were recorded after the earlier atoms were written.
        for packed in reversed(self._packed):
            revert_packed(self._label_map, packed)
        self._notify()

    def _notify(self) -> None:
        if self._box is not None:
            self._on_changed(self._label_map, self._box)


class Stroke:
    """One undoable edit built from many dabs; made by `LabelDocument.begin_stroke` / `edit`.

    `label_map` None makes a closed stroke (nothing to edit): every call is a no-op. `writable` (protected
    labels, segmodels.labels.protection) narrows every `paint()` to the pixels it allows."""

    def __init__(self, text: str, label_map: np.ndarray | None, on_changed: ChangedCallback,
                 on_finished: Callable[[Stroke], None], writable: Writable | None = None) -> None:
        self.text = text
        self.writable = writable
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
        atom = make_atom(self.label_map, y0, x0, mask, value, self.writable)
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
            box = None
            for atom in reversed(self.atoms):
                revert_atom(self.label_map, atom)
                box = union_box(box, atom.box)
            if box is not None:
                self._on_changed(self.label_map, box)
            self.atoms = []
            self._on_finished(self)
