"""Zoom-out levels of class maps made while a large image loaded, handed to the canvas once.

The loader (app/document/loading.py) builds half-size levels of the label map and the prediction
next to the image pyramid, so the canvas need not build them on the GUI thread. `ReadyLevels` keeps
them keyed by the identity of the array they were made from: `take(array)` hands them out once, and
`drop(array)` forgets them when that array is edited (they would show the old pixels). Matching by
identity also means levels of a label file never show for an image whose unsaved edits in memory
replaced that file's map.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class ReadyLevels:
    def __init__(self) -> None:
        self._levels: list[tuple[np.ndarray, list[np.ndarray]]] = []

    def replace(self, levels: Iterable[tuple[np.ndarray, list[np.ndarray]]]) -> None:
        """Keep `levels` ((source array, its smaller levels) pairs) instead of the previous image's."""
        self._levels = list(levels)

    def take(self, array: np.ndarray) -> list[np.ndarray]:
        """The levels made from `array`, once; empty when there are none (or they were taken or dropped)."""
        for index, (source, levels) in enumerate(self._levels):
            if source is array:
                del self._levels[index]
                return levels
        return []

    def drop(self, array: np.ndarray | None) -> None:
        """`array` was edited: its levels not yet taken are stale (those of other arrays are not)."""
        self._levels = [(source, levels) for source, levels in self._levels if source is not array]
