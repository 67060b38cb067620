"""Class edits that change what label indices mean: delete a class (its pixels become unlabelled or
another class), move a class to another index, rename one, or replace the whole table (a preset or a
class list file).

An edit is data only: the old and the new class table, a 256-entry lookup table `lut` (old index ->
new index; identity for a rename or a table replacement) and one sentence saying what it does.
`segmodels/labels/class_rewrite.py` applies it to every label and prediction file of a project; the
Classes dock (app/docks/class_actions.py) and `segstudio classes` (segmodels/cli/classes.py) both
build their edits here, so they accept and refuse the same things in the same words.

Indices that are no class of the old table (a damaged label's stray values) and 255 keep their value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.labels.classes import ClassInfo, ClassTable

#: What a user may type for "the pixels become unlabelled" (`--into unlabelled`).
UNLABELLED_WORDS = ("unlabelled", "unlabeled", "ignore", "void", str(IGNORE_INDEX))


def identity_lut() -> np.ndarray:
    return np.arange(256, dtype=np.uint8)


@dataclass(frozen=True, eq=False)
class ClassEdit:
    old: ClassTable
    new: ClassTable
    lut: np.ndarray     # 256 uint8: old index -> new index
    summary: str        # one sentence: what the edit does
    #: For each class of `new`, the id it had in `old` (a palette file's colours move with their class)
    origins: tuple[int, ...] = ()

    @property
    def remaps_pixels(self) -> bool:
        """Whether label files must be rewritten (False: only the class table changes)."""
        return not np.array_equal(self.lut, identity_lut())


def find_class(table: ClassTable, text: str) -> int:
    """The id of the class a user named: its exact name, else a number 0..C-1; SegError listing names."""
    if text in table.names:
        return table.id_of(text)
    if text.strip().isdigit() and int(text) < len(table):
        return int(text)
    shown = ", ".join(f"'{name}'" for name in table.names[:12]) + (" …" if len(table) > 12 else "")
    raise SegError(f"There is no class '{text}'; the classes are {shown}.")


def find_target(table: ClassTable, text: str) -> int:
    """Where a deleted class's pixels go: IGNORE_INDEX for 'unlabelled' (and its synonyms), else a class."""
    return IGNORE_INDEX if text.strip().lower() in UNLABELLED_WORDS else find_class(table, text)


def _renumbered(classes: list[ClassInfo], old: ClassTable) -> ClassTable:
    return ClassTable(tuple(ClassInfo(i, c.name, c.color) for i, c in enumerate(classes)), old.ignore_index)


def _target_words(table: ClassTable, target: int) -> str:
    return f"unlabelled ({IGNORE_INDEX})" if target == IGNORE_INDEX else f"'{table[target].name}'"


def delete_class(table: ClassTable, class_id: int, into: int = IGNORE_INDEX) -> ClassEdit:
    """Remove class `class_id`; its pixels become `into` (a class id of `table`, or IGNORE_INDEX) and
    every later class moves down by one index."""
    if not 0 <= class_id < len(table):
        raise SegError(f"There is no class {class_id}; ids are 0..{len(table) - 1}.")
    if len(table) == 1:
        raise SegError(f"Class '{table[class_id].name}' is the only class; a project needs at least one.")
    if into == class_id:
        raise SegError(f"Class '{table[class_id].name}' cannot be merged into itself; choose another class "
                       "or unlabelled.")
    if into != IGNORE_INDEX and not 0 <= into < len(table):
        raise SegError(f"There is no class {into} to merge into; ids are 0..{len(table) - 1}.")
    kept = [c for c in table if c.id != class_id]
    lut = identity_lut()
    for position, info in enumerate(kept):
        lut[info.id] = position
    lut[class_id] = IGNORE_INDEX if into == IGNORE_INDEX else lut[into]
    moved = "" if class_id == len(table) - 1 else "; classes after it move down by one index"
    summary = (f"Delete class '{table[class_id].name}' (index {class_id}): its pixels become "
               f"{_target_words(table, into)}{moved}.")
    return ClassEdit(table, _renumbered(kept, table), lut, summary, tuple(c.id for c in kept))


def move_class(table: ClassTable, class_id: int, to_index: int) -> ClassEdit:
    """Move class `class_id` to index `to_index`; the classes between shift by one to make room."""
    if not 0 <= class_id < len(table):
        raise SegError(f"There is no class {class_id}; ids are 0..{len(table) - 1}.")
    if not 0 <= to_index < len(table):
        raise SegError(f"Cannot move class '{table[class_id].name}' to index {to_index}; indices are "
                       f"0..{len(table) - 1}.")
    order = list(table)
    order.insert(to_index, order.pop(class_id))
    lut = identity_lut()
    for position, info in enumerate(order):
        lut[info.id] = position
    summary = f"Move class '{table[class_id].name}' from index {class_id} to {to_index}."
    return ClassEdit(table, _renumbered(order, table), lut, summary, tuple(c.id for c in order))


def name_problem(table: ClassTable, class_id: int, name: str) -> str | None:
    """Why `name` cannot be class `class_id`'s new name (one sentence), or None."""
    if not name.strip():
        return "A class needs a name."
    if name.strip() != name:
        return "A class name cannot start or end with spaces."
    if name in table.names and table.id_of(name) != class_id:
        return f"There is already a class named '{name}'; pick another name."
    return None


def rename_class(table: ClassTable, class_id: int, name: str) -> ClassEdit:
    """Give class `class_id` a new name; no pixel changes (indices keep their meaning)."""
    if not 0 <= class_id < len(table):
        raise SegError(f"There is no class {class_id}; ids are 0..{len(table) - 1}.")
    problem = name_problem(table, class_id, name)
    if problem is not None:
        raise SegError(problem)
    summary = f"Rename class {class_id} '{table[class_id].name}' to '{name}'."
    return ClassEdit(table, table.renamed(class_id, name), identity_lut(), summary, tuple(range(len(table))))


def replace_table(old: ClassTable, new: ClassTable, source: str) -> ClassEdit:
    """Use `new` (a preset or a class list file, named by `source`) instead of `old`. Pixel values
    stay as they are, so index k now means `new`'s class k: `table_changes` says what that changes."""
    origins = tuple(range(min(len(old), len(new))))
    return ClassEdit(old, new, identity_lut(), f"Use the {len(new)} classes of {source}.", origins)


def table_changes(old: ClassTable, new: ClassTable, limit: int = 6) -> list[str]:
    """What replacing `old` by `new` changes for pixels already labelled, one short phrase each
    (empty: the names are the same): renamed indices, and indices that would be left without a class."""
    changes = [f"index {i} '{old[i].name}' becomes '{new[i].name}'"
               for i in range(min(len(old), len(new))) if old[i].name != new[i].name]
    shown = changes[:limit] + ([f"and {len(changes) - limit} more"] if len(changes) > limit else [])
    if len(new) < len(old):
        lost = ", ".join(f"'{c.name}'" for c in old.classes[len(new):][:limit])
        shown.append(f"pixels of {lost}{' …' if len(old) - len(new) > limit else ''} would have no class "
                     f"(indices {len(new)}..{len(old) - 1})")
    return shown
