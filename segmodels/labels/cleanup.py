"""Cleanup of a label map: fill small holes and remove small islands (specks), in one pass.

- An *island* of class c is an 8-connected component of pixels of c smaller than `max_area` pixels.
  It takes the class most common on its one-pixel ring (8-neighbours outside it; unlabelled when the
  ring is unlabelled), as if the speck had never been painted.
- A *hole* is a 4-connected component smaller than `max_area`, not touching the image border,
  enclosed by one class: for the active-class scope, pixels that are not c enclosed by c (they
  become c); for the whole-image scope, unlabelled pixels (255), which take the class most common on
  their ring. (4-connectivity for holes and 8 for islands, so a diagonal gap in an outline neither
  opens a hole to the outside nor splits an island.)

`clean_labels` works on a copy and returns it with what it did; the caller commits the copy as one
undo step (only the changed pixels are recorded, app/document/undo.py). Components come from
`cv2.connectedComponentsWithStats`, so a pass costs a few component scans of the image plus work per
small component inside its own bounding box.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.edits import _cv2

DEFAULT_MAX_AREA = 64


@dataclass(frozen=True)
class CleanupResult:
    label_map: np.ndarray   # the cleaned copy
    holes: int              # holes filled
    islands: int            # islands removed

    def sentence(self, name: str) -> str:
        if not self.holes and not self.islands:
            return f"{name}: nothing to clean up at this size."
        return f"{name}: filled {self.holes} hole(s) and removed {self.islands} island(s)."


def _small_components(mask: np.ndarray, max_area: int, connectivity: int,
                      inner_only: bool) -> list[tuple[int, int, np.ndarray]]:
    """(y0, x0, component mask in its box) for each component of `mask` under `max_area` pixels."""
    cv2 = _cv2()
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=connectivity)
    height, width = mask.shape
    found = []
    for index in np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] < max_area) + 1:
        x0, y0, w, h = (int(v) for v in stats[index, :4])
        if inner_only and (x0 == 0 or y0 == 0 or x0 + w == width or y0 + h == height):
            continue  # touches the border: not enclosed
        found.append((y0, x0, labels[y0:y0 + h, x0:x0 + w] == index))
    return found


def _ring_majority(label_map: np.ndarray, y0: int, x0: int, component: np.ndarray) -> int:
    """The class most common on the component's 8-neighbour ring (ties: the lower value)."""
    h, w = component.shape
    top, left = max(y0 - 1, 0), max(x0 - 1, 0)
    bottom, right = min(y0 + h + 1, label_map.shape[0]), min(x0 + w + 1, label_map.shape[1])
    grown = np.zeros((bottom - top, right - left), dtype=np.uint8)
    grown[y0 - top:y0 - top + h, x0 - left:x0 - left + w] = component
    ring = _cv2().dilate(grown, np.ones((3, 3), np.uint8)).astype(bool) & ~grown.astype(bool)
    values = label_map[top:bottom, left:right][ring]
    labelled = values[values != IGNORE_INDEX]
    if labelled.size == 0:
        return IGNORE_INDEX if values.size else int(label_map[y0, x0])
    return int(np.bincount(labelled).argmax())


def clean_labels(label_map: np.ndarray, max_area: int, *, class_id: int | None = None,
                 fill_holes: bool = True, remove_islands: bool = True) -> CleanupResult:
    """Islands first, then holes; `class_id` None cleans every class (holes: unlabelled ones)."""
    out = label_map.copy()
    holes = islands = 0
    if remove_islands:
        classes = [class_id] if class_id is not None else [int(v) for v in np.unique(out) if v != IGNORE_INDEX]
        for value in classes:
            for y0, x0, component in _small_components(out == value, max_area, 8, inner_only=False):
                region = out[y0:y0 + component.shape[0], x0:x0 + component.shape[1]]
                replacement = _ring_majority(out, y0, x0, component)
                if replacement != value:
                    region[component] = replacement
                    islands += 1
    if fill_holes:
        gaps = out != class_id if class_id is not None else out == IGNORE_INDEX
        for y0, x0, component in _small_components(gaps, max_area, 4, inner_only=True):
            value = class_id if class_id is not None else _ring_majority(out, y0, x0, component)
            if value == IGNORE_INDEX:
                continue
            out[y0:y0 + component.shape[0], x0:x0 + component.shape[1]][component] = value
            holes += 1
    return CleanupResult(out, holes, islands)
