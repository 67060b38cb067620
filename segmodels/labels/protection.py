"""Protected labels (napari's "preserve labels"): which pixels an edit may not overwrite.

A `Protection` is a value: `unlabelled_only` (every edit paints only into unlabelled pixels) and
`locked` (class ids never overwritten, e.g. "never overwrite road"). `writable(region)` is the
boolean mask of pixels of a label-map region that an edit may change. The document applies it to every
pixel that goes through a stroke (`app.document.undo.Stroke.paint`), so brush, eraser, fill, polygon,
smart tools and cleanup all obey it without knowing about it; undo and redo restore recorded pixels
and do not consult it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segmodels.constants import IGNORE_INDEX


@dataclass(frozen=True)
class Protection:
    unlabelled_only: bool = False
    locked: frozenset[int] = frozenset()

    @property
    def active(self) -> bool:
        return self.unlabelled_only or bool(self.locked)

    def writable(self, region: np.ndarray) -> np.ndarray | None:
        """True where `region` (uint8 label values) may be overwritten; None when everything may."""
        if self.unlabelled_only:
            return region == IGNORE_INDEX  # locked classes are labelled: already excluded
        if not self.locked:
            return None
        if len(self.locked) == 1:
            return region != next(iter(self.locked))
        lookup = np.ones(256, dtype=bool)  # one table lookup instead of np.isin's sort
        lookup[list(self.locked)] = False
        return lookup[region]


NO_PROTECTION = Protection()
