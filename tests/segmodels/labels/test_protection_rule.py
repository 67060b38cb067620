"""Protected labels narrow an edit to the pixels it may write."""
from __future__ import annotations

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.edits import apply_atom, make_atom
from segmodels.labels.protection import NO_PROTECTION, Protection


def label_map():
    values = np.full((4, 6), IGNORE_INDEX, np.uint8)
    values[:, :2] = 0
    values[:, 2:4] = 1
    return values


def test_unlabelled_only_writes_only_unlabelled_pixels():
    before = label_map()
    atom = make_atom(before, 0, 0, np.ones((4, 6), bool), 2, Protection(unlabelled_only=True).writable)
    after = before.copy()
    apply_atom(after, atom)
    assert (after[:, :4] == before[:, :4]).all() and (after[:, 4:] == 2).all()


def test_locked_classes_are_never_overwritten():
    before = label_map()
    for locked in ({1}, {0, 1}):
        writable = Protection(locked=frozenset(locked)).writable
        atom = make_atom(before, 0, 0, np.ones((4, 6), bool), IGNORE_INDEX, writable)
        after = before.copy()
        if atom is not None:
            apply_atom(after, atom)
        assert all((after == c).sum() == (before == c).sum() for c in locked)
        assert ((after == 0).sum() == 0) == (0 not in locked)


def test_no_protection_allows_everything():
    assert NO_PROTECTION.writable(label_map()) is None and not NO_PROTECTION.active
