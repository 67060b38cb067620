"""A memory cap on undo history across all open images: the oldest steps go first.

Every `PaintCommand` knows the bytes it holds (`nbytes`, its packed atoms) and its `sequence` (the
order commands were made, across images). `plan_drops(stacks, limit)` picks, oldest first, the steps
to forget until the total fits `limit`; it only takes a stack's bottom steps that are applied (below
its index: the steps above are redo steps, which still depend on the ones below) and never the
newest step of all, so the edit just made can always be undone even when it alone exceeds the cap.

QUndoStack cannot remove its bottom commands, so `without_oldest(stack, count)` builds a new stack
from clones of the kept commands (silent while the stack is rebuilt: no pixel moves) at the same
index, with the clean state kept where it still exists (and none when the saved state was among
the dropped steps: undo can no longer get back to the file on disk). The caller swaps it in.
"""
from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoStack

from app.document.undo import PaintCommand

#: Default cap on the memory held by undo steps across all open images (preferences may set
#: `LabelDocument.undo_limit_bytes`).
UNDO_LIMIT_BYTES = 512 * 1024 * 1024


def commands(stack: QUndoStack) -> list[PaintCommand]:
    """The stack's paint commands, bottom (oldest) first."""
    found = (stack.command(i) for i in range(stack.count()))
    return [command for command in found if isinstance(command, PaintCommand)]


def held_bytes(stacks: Iterable[QUndoStack]) -> int:
    return sum(command.nbytes for stack in stacks for command in commands(stack))


def plan_drops(stacks: Iterable[QUndoStack], limit: int) -> dict[QUndoStack, int]:
    """How many bottom steps to drop from each stack, oldest first across stacks, to fit `limit`."""
    stacks = [stack for stack in stacks if stack.count() == len(commands(stack))]  # paint steps only
    listed = {stack: commands(stack) for stack in stacks}
    total = sum(command.nbytes for steps in listed.values() for command in steps)
    newest = max((command.sequence for steps in listed.values() for command in steps), default=-1)
    drops = dict.fromkeys(stacks, 0)
    while total > limit:
        candidates = [(listed[stack][drops[stack]].sequence, i, stack) for i, stack in enumerate(stacks)
                      if drops[stack] < stack.index() and listed[stack][drops[stack]].sequence != newest]
        if not candidates:
            break
        _, _, stack = min(candidates)
        total -= listed[stack][drops[stack]].nbytes
        drops[stack] += 1
    return {stack: count for stack, count in drops.items() if count}


def without_oldest(stack: QUndoStack, count: int, owner: QObject) -> QUndoStack:
    """A new stack holding `stack`'s steps but the `count` oldest, at the same place in history."""
    kept = [command.clone() for command in commands(stack)[count:]]
    index, clean = stack.index() - count, stack.cleanIndex() - count
    rebuilt = QUndoStack(owner)
    for command in kept:
        rebuilt.push(command)  # silent: redo() does nothing
    if clean >= 0:
        rebuilt.setIndex(clean)
        rebuilt.setClean()
    else:
        rebuilt.resetClean()
    rebuilt.setIndex(index)
    for command in kept:
        command.silent = False
    return rebuilt


def dropped_sentence(count: int, limit: int) -> str:
    return (f"Undo history is limited to {limit / 2 ** 20:.0f} MiB: the {count} oldest step(s) were dropped "
            "to stay within it (older edits can no longer be undone).")
